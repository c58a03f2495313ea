"""The records of a task form a hash chain: intact after sync, broken by any edit behind the service's back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fieldwork_setup import ALICE, field_task, op
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.app import prepare
from api.cli.main import app
from core.config import Settings
from core.db import Database
from core.fieldwork.chain import verify_task
from core.fieldwork.sync import SyncService


async def _recorded(database: Database, tmp_path: Path) -> str:
    ready = await field_task(database, tmp_path)
    begin = op("start_task", ready["task_id"], {"checklist_id": ready["checklist_id"]},
               place={"lat": ready["lat"], "lon": ready["lon"], "accuracy_m": 5})
    findings = [op("record_finding", ready["task_id"], {"inspection_id": begin["record_id"], "severity": "serious",
                                                        "violation_type": "evade_supervision",
                                                        "description": f"暗管排放 {n}"}) for n in range(3)]
    results = await SyncService(database, Settings(secret_key="s" * 40)).push(ALICE, [begin, *findings],
                                                                              device_now=datetime.now(UTC))
    assert {r.status.value for r in results} == {"APPLIED"}
    return str(ready["task_id"])


async def test_intact_chain(database: Database, tmp_path: Path) -> None:
    task_id = await _recorded(database, tmp_path)
    report = await verify_task(database, task_id)
    assert report.intact and report.entries == 4
    assert report.head == (await database["field_chains"].find_one({"_id": task_id}))["head"]


async def test_an_altered_entry_breaks_the_chain(database: Database, tmp_path: Path) -> None:
    task_id = await _recorded(database, tmp_path)
    entry = await database["field_log"].find_one({"task_id": task_id, "kind": "record_finding"})
    await database["field_log"].update_one({"_id": entry["_id"]}, {"$set": {"body.description": "无问题"}})
    report = await verify_task(database, task_id)
    assert not report.intact
    assert any(f"entry {entry['_id']}" in p and "altered" in p for p in report.problems)


async def test_a_removed_entry_breaks_the_chain(database: Database, tmp_path: Path) -> None:
    task_id = await _recorded(database, tmp_path)
    last = (await database["field_log"].find({"task_id": task_id}).sort("seq", -1).to_list())[0]
    await database["field_log"].delete_one({"_id": last["_id"]})
    report = await verify_task(database, task_id)
    assert not report.intact and report.entries == 3
    assert any("chain head" in p for p in report.problems)


async def test_verify_task_command(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    database = Database(db_server.uri, name)
    await prepare(database)
    try:
        task_id = await _recorded(database, tmp_path)
        intact = await asyncio.to_thread(CliRunner().invoke, app, ["verify-task", task_id])
        assert intact.exit_code == 0 and "4 entries" in intact.output and "chain intact" in intact.output
        await database["field_log"].update_one({"task_id": task_id, "kind": "start_task"},
                                               {"$set": {"flags": ["TAMPERED"]}})
        broken = await asyncio.to_thread(CliRunner().invoke, app, ["verify-task", task_id])
        assert broken.exit_code == 1 and "BROKEN:" in broken.output and "altered" in broken.output
    finally:
        await database.client.drop_database(name)
        await database.client.close()
