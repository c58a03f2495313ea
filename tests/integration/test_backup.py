"""Backups (issue #16 item 12): the demo data with an uploaded evidence file, backed up and restored, byte for byte."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.app import prepare
from api.assembly import build_services
from api.cli.main import app
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.db import Database
from core.evidence.ranges import ContentRange
from core.evidence.upload import EvidenceUploadService
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository
from core.operations.backup import MANIFEST, BackupInvalid, BackupService, RestoreTargetNotEmpty, member
from core.operations.repository import BackupRepository

INSPECTOR = "SX-610100-0001"
TASK_ID = "task-backup-1"
runner = CliRunner()


def photo() -> bytes:
    image = Image.frombytes("RGB", (700, 700), bytes(range(256)) * (700 * 700 * 3 // 256) + bytes(700 * 700 * 3 % 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


async def upload_evidence(database: Database, settings: Settings, data: bytes) -> str:
    """Register an evidence file as the sync code does, then upload it through the upload service in two ranges."""
    task = Task(id=TASK_ID, plan_id=None, draw_id="alert:test", credit_code="91610100000000001X",
                enterprise_name="测试企业", jurisdiction="610100", stratum="general", inspectors=[INSPECTOR],
                lead=INSPECTOR, status=TaskStatus.IN_PROGRESS, created_at=datetime.now(UTC))
    await InspectionRepository(database).insert_targeted([task], session=None)
    evidence_id, now = str(uuid.uuid4()), datetime.now(UTC)
    await database["evidence"].insert_one({
        "_id": evidence_id, "task_id": TASK_ID, "inspection_id": "inspection-1", "kind": "photo",
        "mime_type": "image/jpeg", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "file_name": "site.jpg", "captured_at": now, "place": {"lat": 34.2, "lon": 108.9, "accuracy_m": 5.0},
        "registered_by": "assigned", "registered_at": now, "status": "pending", "received": 0,
        "file_id": None, "metadata": {}, "completed_at": None})
    uploads = EvidenceUploadService(database, settings)
    viewer = Viewer(username="assigned", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                    inspector_id=INSPECTOR)
    half = len(data) // 2
    for start, end in ((0, half - 1), (half, len(data) - 1)):
        async def body(piece: bytes = data[start:end + 1]) -> AsyncIterator[bytes]:
            yield piece
        evidence = await uploads.receive(viewer, evidence_id, content_range=ContentRange(len(data), start, end),
                                         body=body())
    assert evidence.status == "complete", evidence
    return evidence_id


@pytest.fixture
async def demo(database: Database, settings: Settings) -> bytes:
    await build_services(database, settings).demo.load(enterprises=120)
    data = photo()
    await upload_evidence(database, settings, data)
    return data


@pytest.fixture
async def target(db_server: SecantusDBServer) -> AsyncIterator[Database]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    restored = Database(db_server.uri, name)
    await prepare(restored)
    yield restored
    await restored.client.drop_database(name)
    await restored.client.close()


async def contents(database: Database) -> dict[str, list[bytes]]:
    """Every collection's raw documents, read in one snapshot."""
    repository = BackupRepository(database)
    async with repository.snapshot() as snapshot:
        return {name: [raw async for raw in repository.documents(snapshot, name)] for name in snapshot.names}


async def test_round_trip_restores_every_document_and_evidence_file(
        demo: bytes, database: Database, target: Database, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    written = await BackupService(database).backup(archive)
    manifest = json.loads(zipfile.ZipFile(archive).read(MANIFEST))
    sha = hashlib.sha256(demo).hexdigest()
    assert manifest["files"] == [{"file_id": sha, "length": len(demo), "sha256": sha,
                                  "chunks": manifest["files"][0]["chunks"]}]
    assert manifest["collections"]["enterprises"]["documents"] == 120
    assert written.documents == sum(c["documents"] for c in manifest["collections"].values())

    restored = await BackupService(target).restore(archive)
    assert restored.documents == written.documents
    before, after = await contents(database), await contents(target)
    assert {name: docs for name, docs in after.items() if docs} == {name: docs for name, docs in before.items() if docs}
    # The evidence file reads back whole through the service, from the restored database.
    uploads = EvidenceUploadService(target, Settings(secret_key="x" * 40))
    viewer = Viewer(username="assigned", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                    inspector_id=INSPECTOR)
    evidence_id = (await target["evidence"].find_one({"task_id": TASK_ID}))["_id"]
    _, stream = await uploads.content(viewer, evidence_id)
    assert b"".join([piece async for piece in stream]) == demo


async def test_restore_refuses_a_database_that_holds_documents_unless_forced(
        demo: bytes, database: Database, target: Database, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    await BackupService(database).backup(archive)
    await target["counters"].insert_one({"_id": "stranger", "next": 7})
    with pytest.raises(RestoreTargetNotEmpty, match="counters"):
        await BackupService(target).restore(archive)
    assert sum((await BackupRepository(target).counts()).values()) == 1  # refused before writing anything
    await BackupService(target).restore(archive, force=True)
    assert await target["counters"].find_one({"_id": "stranger"}) is None
    assert await target["enterprises"].count_documents({}) == 120


def tampered(archive: Path, into: Path, name: str, change: bytes) -> None:
    """A copy of ``archive`` whose collection ``name`` has ``change`` appended (the manifest left as it was)."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(into, "w") as copy:
        for item in source.namelist():
            data = source.read(item)
            copy.writestr(item, data + change if item == member(name) else data)


async def test_a_tampered_archive_is_refused_before_anything_is_written(
        demo: bytes, database: Database, target: Database, tmp_path: Path) -> None:
    archive, bad = tmp_path / "backup.zip", tmp_path / "bad.zip"
    await BackupService(database).backup(archive)
    first = (await contents(database))["users"][0]
    tampered(archive, bad, "users", first)
    with pytest.raises(BackupInvalid, match="users does not match the manifest"):
        await BackupService(target).restore(bad)
    assert set((await BackupRepository(target).counts()).values()) == {0}


async def test_a_restore_failing_part_way_leaves_the_target_empty(
        demo: bytes, database: Database, target: Database, tmp_path: Path) -> None:
    archive, bad = tmp_path / "backup.zip", tmp_path / "bad.zip"
    await BackupService(database).backup(archive)
    # A duplicate of the last account, with a manifest that agrees: the archive verifies, the insert fails late.
    accounts = (await contents(database))["users"]
    tampered(archive, bad, "users", accounts[-1])
    with zipfile.ZipFile(bad) as source:
        manifest = json.loads(source.read(MANIFEST))
        data = source.read(member("users"))
        entry = manifest["collections"]["users"]
        entry.update(documents=entry["documents"] + 1, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        others = {item: source.read(item) for item in source.namelist() if item != MANIFEST}
    with zipfile.ZipFile(bad, "w") as copy:
        for item, content in others.items():
            copy.writestr(item, content)
        copy.writestr(MANIFEST, json.dumps(manifest))
    with pytest.raises(Exception, match="(?i)duplicate"):
        await BackupService(target).restore(bad)
    assert set((await BackupRepository(target).counts()).values()) == {0}


def test_backup_and_restore_from_the_command_line(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", f"cli_{uuid.uuid4().hex[:10]}")
    assert runner.invoke(app, ["demo", "--enterprises", "60"]).exit_code == 0
    archive = tmp_path / "cli.zip"
    made = runner.invoke(app, ["db", "backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "GridFS files" in made.output and "every collection as of one point in time" in made.output
    again = runner.invoke(app, ["db", "restore", str(archive)])
    assert again.exit_code == 1 and "[RESTORE_TARGET_NOT_EMPTY]" in again.output
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", f"cli_{uuid.uuid4().hex[:10]}")
    restored = runner.invoke(app, ["db", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    status = runner.invoke(app, ["db", "status"])
    assert any(line.split() == ["enterprises", "60"] for line in status.output.splitlines()), status.output



async def test_the_snapshot_sees_no_write_committed_after_its_first_read(demo: bytes, database: Database) -> None:
    repository = BackupRepository(database)
    async with repository.snapshot() as snapshot:
        first = [raw async for raw in repository.documents(snapshot, "counters")]
        # Another writer, meanwhile: a new user and a new evidence chunk (other collections, read later).
        await database["users"].insert_one({"_id": "late", "username": "late-user"})
        await database["fs.chunks"].insert_one({"files_id": "late", "n": 0, "data": b"late"})
        users = [raw async for raw in repository.documents(snapshot, "users")]
        chunks = [raw async for raw in repository.documents(snapshot, "fs.chunks")]
    assert first
    assert len(users) == await database["users"].count_documents({}) - 1
    assert len(chunks) == await database["fs.chunks"].count_documents({}) - 1
