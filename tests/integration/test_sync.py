"""Offline sync on the real server: exactly-once under replays, reordering and concurrent duplicates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fieldwork_setup import ALICE, BOB, CAROL, field_task, op

from core.config import Settings
from core.db import Database
from core.errors import PermissionDenied
from core.fieldwork.sync import SyncService


@pytest.fixture
async def ready(database: Database, tmp_path: Path) -> dict[str, Any]:
    return await field_task(database, tmp_path)


def service(database: Database) -> SyncService:
    return SyncService(database, Settings(secret_key="s" * 40))


def now() -> datetime:
    return datetime.now(UTC)


def start(ready: dict[str, Any], **place: Any) -> dict[str, Any]:
    where = place or {"lat": ready["lat"], "lon": ready["lon"], "accuracy_m": 8}
    return op("start_task", ready["task_id"], {"checklist_id": ready["checklist_id"]}, place=where)


async def test_push_applies_once_and_replays(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    answer = op("answer_item", ready["task_id"], {"inspection_id": begin["record_id"], "item_id": "permit_posted",
                                                  "value": True})
    first = await sync.push(ALICE, [begin, answer], device_now=now())
    assert [r.status.value for r in first] == ["APPLIED", "APPLIED"]
    again = await sync.push(ALICE, [begin, answer], device_now=now())
    assert [r.status.value for r in again] == ["REPLAYED", "REPLAYED"]
    assert [r.seq for r in again] == [r.seq for r in first]
    assert await database["field_log"].count_documents({"task_id": ready["task_id"]}) == 2
    task = await database["tasks"].find_one({"_id": ready["task_id"]})
    assert task["status"] == "in_progress"


async def test_same_record_under_a_new_op_id(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    await sync.push(ALICE, [begin], device_now=now())
    resent = {**begin, "op_id": op("start_task", ready["task_id"])["op_id"]}
    assert (await sync.push(ALICE, [resent], device_now=now()))[0].status.value == "REPLAYED"
    changed = {**resent, "op_id": op("x", "y")["op_id"], "payload": {"checklist_id": None}}
    result = (await sync.push(ALICE, [changed], device_now=now()))[0]
    assert (result.status.value, result.code) == ("REJECTED", "ID_CONFLICT")
    tampered = {**begin, "payload": {"checklist_id": None}}  # same op id, different payload
    assert (await sync.push(ALICE, [tampered], device_now=now()))[0].code == "ID_CONFLICT"
    assert await database["field_log"].count_documents({"task_id": ready["task_id"]}) == 1


async def test_concurrent_duplicate_pushes_write_once(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    ops = [begin] + [op("record_finding", ready["task_id"], {"inspection_id": begin["record_id"],
                                                             "violation_type": "exceed_standard", "severity": "general",
                                                             "description": f"发现问题 {n}"}) for n in range(5)]
    results = await asyncio.gather(*[sync.push(ALICE, ops, device_now=now()) for _ in range(4)])
    statuses = sorted(r[0].status.value for r in results)
    assert statuses.count("APPLIED") == 1 and statuses.count("REPLAYED") == 3
    assert await database["field_log"].count_documents({"task_id": ready["task_id"]}) == 6
    assert await database["sync_ops"].count_documents({"task_id": ready["task_id"]}) == 6
    chain = await database["field_chains"].find_one({"_id": ready["task_id"]})
    assert chain["length"] == 6


async def test_reordered_ops_are_refused_then_applied(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    answer = op("answer_item", ready["task_id"], {"inspection_id": begin["record_id"], "item_id": "outlet_ph",
                                                  "value": 7.2})
    early = await sync.push(ALICE, [answer, begin], device_now=now())
    assert [(r.status.value, r.code) for r in early] == [("REJECTED", "NOT_FOUND"), ("APPLIED", None)]
    assert await database["sync_rejections"].count_documents({"op_id": answer["op_id"]}) == 1  # kept, not lost
    later = await sync.push(ALICE, [answer], device_now=now())
    assert later[0].status.value == "APPLIED"


async def test_stale_edits(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    answer = op("answer_item", ready["task_id"], {"inspection_id": begin["record_id"],
                                                  "item_id": "treatment_state", "value": "running"})
    finding = op("record_finding", ready["task_id"], {"inspection_id": begin["record_id"], "severity": "minor",
                                                      "violation_type": "fugitive_emission", "description": "无组织"})
    await sync.push(ALICE, [begin, answer, finding], device_now=now())
    edit = op("answer_item", ready["task_id"], {"inspection_id": begin["record_id"], "item_id": "treatment_state",
                                                "value": "idle"}, record_id=answer["record_id"], base_version=1)
    assert (await sync.push(ALICE, [edit], device_now=now()))[0].version == 2
    stale_answer = {**edit, "op_id": op("x", "y")["op_id"], "payload": {**edit["payload"], "value": "stopped"}}
    stale_finding = op("record_finding", ready["task_id"], {**finding["payload"], "description": "改"},
                       record_id=finding["record_id"], base_version=1)
    await sync.push(BOB, [op("record_finding", ready["task_id"], {**finding["payload"], "description": "乙改"},
                             record_id=finding["record_id"], base_version=1)], device_now=now())
    results = await sync.push(ALICE, [stale_answer, stale_finding], device_now=now())
    assert [(r.status.value, r.code) for r in results] == [("CONFLICT", "STALE_VERSION"),
                                                           ("REJECTED", "STALE_VERSION")]
    conflicts = await database["sync_conflicts"].find({"task_id": ready["task_id"]}).to_list()
    assert [c["code"] for c in conflicts] == ["STALE_VERSION"] and conflicts[0]["status"] == "open"


async def test_flags_and_bad_input(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    far = start(ready, lat=ready["lat"] + 0.05, lon=ready["lon"], accuracy_m=350)
    skewed = now() + timedelta(minutes=20)
    result = await sync.push(ALICE, [far], device_now=skewed)
    assert result[0].status.value == "APPLIED"
    entry = await database["field_log"].find_one({"_id": far["op_id"]})
    assert any(f.startswith("FAR_FROM_ENTERPRISE:") for f in entry["flags"])
    assert any(f.startswith("LOW_ACCURACY:") for f in entry["flags"])
    assert any(f.startswith("CLOCK_SKEW:") for f in entry["flags"])
    bad_place = start(ready, lat=123.0, lon=10.0)
    future = {**op("record_finding", ready["task_id"], {"inspection_id": far["record_id"]}),
              "device_time": (now() + timedelta(hours=3)).isoformat()}
    unknown = op("start_task", "no-such-task")
    codes = [r.code for r in await sync.push(ALICE, [bad_place, future, unknown], device_now=now())]
    assert codes == ["INVALID_COORDINATES", "TIMESTAMP_IN_FUTURE", "NOT_FOUND"]


async def test_unassigned_inspector_can_neither_write_nor_pull(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    await sync.push(ALICE, [start(ready)], device_now=now())
    refused = await sync.push(CAROL, [start(ready)], device_now=now())
    assert (refused[0].status.value, refused[0].code) == ("REJECTED", "NOT_FOUND")
    assert (await sync.pull(CAROL, since=0, first=100))["changes"] == []
    pulled = await sync.pull(BOB, since=0, first=100)
    assert [c["kind"] for c in pulled["changes"]] == ["start_task"]
    with pytest.raises(PermissionDenied):
        await sync.pull(ALICE.__class__(username="sup", roles=ALICE.roles, jurisdictions=("610100",)),
                        since=0, first=10)


async def test_pull_pages_and_purges(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    findings = [op("record_finding", ready["task_id"], {"inspection_id": begin["record_id"], "severity": "minor",
                                                        "violation_type": "other", "description": f"第{n}项"})
                for n in range(5)]
    await sync.push(ALICE, [begin, *findings], device_now=now())
    page = await sync.pull(BOB, since=0, first=4)
    assert len(page["changes"]) == 4 and page["has_more"]
    rest = await sync.pull(BOB, since=page["next_since"], first=4)
    assert len(rest["changes"]) == 2 and not rest["has_more"]
    delete = op("delete_record", ready["task_id"], {"inspection_id": begin["record_id"]},
                record_id=findings[0]["record_id"], base_version=1)
    await sync.push(ALICE, [delete], device_now=now())
    tomb = await sync.pull(BOB, since=rest["next_since"], first=10)
    assert [(c["kind"], c["record_id"]) for c in tomb["changes"]] == [("delete_record", findings[0]["record_id"])]
    await database["tasks"].update_one({"_id": ready["task_id"]}, {"$set": {"inspectors": ["SX-610100-0001"]},
                                                                   "$push": {"removed_inspectors": "SX-610100-0002"}})
    gone = await sync.pull(BOB, since=0, first=10)
    assert gone["changes"] == [] and gone["purge"] == [ready["task_id"]]


async def test_a_submitted_inspection_is_an_enterprise_event(database: Database, ready: dict[str, Any]) -> None:
    sync = service(database)
    begin = start(ready)
    inspection = {"inspection_id": begin["record_id"]}
    answers = [op("answer_item", ready["task_id"], {**inspection, "item_id": item, "value": value})
               for item, value in (("permit_posted", True), ("treatment_state", "running"))]
    party = op("record_party", ready["task_id"], {**inspection, "name": "张经理", "refused": True,
                                                  "reason": "拒绝签字"})
    await sync.push(ALICE, [begin, *answers, party, op("sign", ready["task_id"], inspection)], device_now=now())
    await sync.push(BOB, [op("sign", ready["task_id"], inspection)], device_now=now())
    done = await sync.push(ALICE, [op("submit_task", ready["task_id"], inspection)], device_now=now())
    assert done[0].status.value == "APPLIED"
    task = await database["tasks"].find_one({"_id": ready["task_id"]})
    events = await database["enterprise_events"].find({"credit_code": task["credit_code"]}).to_list()
    assert [(e["kind"], e["source"], e["reference"]) for e in events] == [
        ("inspection", "inspection", f"task:{ready['task_id']}")]
