"""A world for tus uploads: an inspector's task with an inspection, and evidence registered through syncPush."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from core.accounts.models import Role, Viewer
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database
from core.fieldwork.sync import SyncService
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository

PASSWORD = "tus-upload-passw0rd"
INSPECTOR, OTHER = "SX-610100-0001", "SX-610100-0002"
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # an MP4 file type box


@dataclass(frozen=True)
class World:
    task_id: str
    inspection_id: str
    viewer: Viewer


def video(size: int, seed: int = 1) -> bytes:
    """An MP4-looking file of ``size`` bytes (the first bytes decide its sniffed type), deterministic."""
    body = bytearray(MP4_HEAD)
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(body) < size:
        block = hashlib.sha256(block).digest()
        body += block * 64
    return bytes(body[:size])


async def make_world(database: Database, settings: Settings) -> World:
    """Logins ``inspector`` (on the task) and ``other`` (not on it), a Xi'an task with a started inspection."""
    accounts = AccountService(database, settings)
    for name, inspector_id in (("inspector", INSPECTOR), ("other", OTHER)):
        await accounts.create_user(username=name, password=PASSWORD, roles=[Role.INSPECTOR], jurisdictions=["610100"],
                                   inspector_id=inspector_id)
    task = Task(id=f"task-{uuid.uuid4().hex[:8]}", plan_id=None, draw_id="alert:tus", credit_code="91610100000000001X",
                enterprise_name="测试企业", jurisdiction="610100", stratum="general", inspectors=[INSPECTOR],
                lead=INSPECTOR, status=TaskStatus.IN_PROGRESS, created_at=datetime.now(UTC))
    await InspectionRepository(database).insert_targeted([task], session=None)
    viewer = Viewer(username="inspector", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                    inspector_id=INSPECTOR)
    inspection_id = str(uuid.uuid4())
    await _push(database, settings, viewer, task.id, "start_task", inspection_id, {})
    return World(task_id=task.id, inspection_id=inspection_id, viewer=viewer)


async def register(database: Database, settings: Settings, world: World, data: bytes) -> str:
    """The ``register_evidence`` op of a video with the file's size and SHA-256; returns the evidence id."""
    evidence_id = str(uuid.uuid4())
    await _push(database, settings, world.viewer, world.task_id, "register_evidence", evidence_id, {
        "inspection_id": world.inspection_id, "kind": "video", "mime_type": "video/mp4", "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "file_name": "outfall.mp4"})
    return evidence_id


async def _push(database: Database, settings: Settings, viewer: Viewer, task_id: str, type_: str, record_id: str,
                payload: dict[str, object]) -> None:
    now = datetime.now(UTC)
    op = {"op_id": str(uuid.uuid4()), "type": type_, "task_id": task_id, "record_id": record_id,
          "base_version": None, "device_time": now.isoformat(), "payload": payload,
          "place": {"lat": 34.2, "lon": 108.9, "accuracy_m": 10.0}}
    [result] = await SyncService(database, settings).push(viewer, [op], device_now=now)
    assert result.status.value == "APPLIED", result
