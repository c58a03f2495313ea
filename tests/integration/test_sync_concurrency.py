"""Many devices of one inspector push at once: no internal error, every op applied exactly once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fieldwork_setup import ALICE, BOB, field_task, op

from core.accounts.models import Viewer
from core.config import Settings
from core.db import Database
from core.errors import DomainError
from core.fieldwork import sync as sync_module
from core.fieldwork.chain import verify_task
from core.fieldwork.models import OpResult
from core.fieldwork.sync import SyncService

CLIENTS = 8
PUSHES = {"one": 12, "many": 5}  # per client; the 8 × 500 figures are bench/sync_contention.py's


def finding(task_id: str, inspection_id: str, text: str) -> dict[str, Any]:
    return op("record_finding", task_id, {"inspection_id": inspection_id, "severity": "general",
                                          "violation_type": "exceed_standard", "description": text})


class NoTurns:
    """Stands for API processes that share no memory: only the database decides who wins."""

    @asynccontextmanager
    async def hold(self, keys: Any, *, deadline: float | None = None) -> AsyncIterator[None]:
        yield


async def push_until_settled(sync: SyncService, viewer: Viewer, ops: list[dict[str, Any]],
                             busy: Counter[str]) -> list[OpResult]:
    """What a phone does: a SYNC_BUSY push is sent again later; any other error fails the test."""
    while True:
        try:
            return await sync.push(viewer, ops, device_now=datetime.now(UTC))
        except DomainError as exc:
            if exc.code != "SYNC_BUSY":
                raise
            busy["SYNC_BUSY"] += 1
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("processes", ["one", "many"])
async def test_eight_devices_of_one_inspector(database: Database, tmp_path: Path, processes: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if processes == "many":
        monkeypatch.setattr(sync_module, "TASK_TURNS", NoTurns())
        monkeypatch.setattr(sync_module, "COMMIT_TURN", NoTurns())
    pushes = PUSHES[processes]
    ready = await field_task(database, tmp_path)
    task_id = ready["task_id"]
    sync = SyncService(database, Settings(secret_key="s" * 40))
    begin = op("start_task", task_id, {"checklist_id": ready["checklist_id"]},
               place={"lat": ready["lat"], "lon": ready["lon"], "accuracy_m": 8})
    inspection = begin["record_id"]
    reading = op("answer_item", task_id, {"inspection_id": inspection, "item_id": "outlet_ph", "value": 7.0})
    first = await sync.push(ALICE, [begin, reading], device_now=datetime.now(UTC))
    assert [r.status.value for r in first] == ["APPLIED", "APPLIED"]
    # Ops recorded once and synced by every device (a shared account; background retries).
    shared = [finding(task_id, inspection, f"共享 {n}") for n in range(pushes)]
    rng = random.Random(20240601)
    results: dict[str, list[str]] = {}
    edits: Counter[str] = Counter()
    busy: Counter[str] = Counter()

    async def device(number: int, viewer: Viewer) -> None:
        known = 1  # the version of the shared reading this device last saw
        for n in range(pushes):
            own = [finding(task_id, inspection, f"设备{number} 第{n}条 {k}") for k in range(2)]
            edit = op("answer_item", task_id, {"inspection_id": inspection, "item_id": "outlet_ph",
                                               "value": 6.0 + number + n / 100}, record_id=reading["record_id"],
                      base_version=known)
            batch = [*own, shared[n], shared[rng.randrange(pushes)], edit]
            rng.shuffle(batch)
            for sent, result in zip(batch, await push_until_settled(sync, viewer, batch, busy), strict=True):
                assert result.op_id == sent["op_id"]
                if sent is edit:
                    edits[result.status.value] += 1
                    # A stale edit is kept for the supervisor; the device pulls and edits on the latest.
                    latest = await database["field_log"].find_one({"record_id": reading["record_id"]},
                                                                  sort=[("version", -1)])
                    known = result.version if result.status.value == "APPLIED" else latest["version"]
                else:
                    results.setdefault(sent["op_id"], []).append(result.status.value)

    async with asyncio.TaskGroup() as group:  # the first failure cancels the other devices
        for n in range(CLIENTS):
            group.create_task(device(n, ALICE))
        group.create_task(device(CLIENTS, BOB))  # the task's second inspector, on the same records

    for op_id, statuses in results.items():
        assert statuses.count("APPLIED") == 1, (op_id, statuses)
        assert set(statuses) <= {"APPLIED", "REPLAYED"}, (op_id, statuses)
    assert len(results) == (CLIENTS + 1) * pushes * 2 + pushes
    assert set(edits) <= {"APPLIED", "CONFLICT"} and edits.total() == (CLIENTS + 1) * pushes, edits
    versions = [e["version"] async for e in database["field_log"].find({"record_id": reading["record_id"]})]
    assert sorted(versions) == list(range(1, edits["APPLIED"] + 2))  # one entry per version, none twice
    assert await database["sync_conflicts"].count_documents({"task_id": task_id}) == edits["CONFLICT"]
    applied = len(results) + len(versions) + 1  # findings, the reading's versions, the start
    assert await database["field_log"].count_documents({"task_id": task_id}) == applied
    assert await database["sync_ops"].count_documents({"task_id": task_id}) == applied + edits["CONFLICT"]
    stored = await database["field_inspections"].find_one({"_id": inspection})
    assert len(stored["findings"]) == len(set(stored["findings"])) == len(results)
    report = await verify_task(database, task_id)
    assert report.intact and report.entries == applied, report.problems
    if processes == "one":  # pushes take turns: nothing aborts, so nothing is busy (the queue is far below 10 s)
        assert busy["SYNC_BUSY"] == 0
