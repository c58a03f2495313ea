"""Hostile sync input: every bad op is REJECTED alone with a code, the good ones are applied together or not at all."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import token_for
from fieldwork_setup import ALICE, BOB, field_task, op

from core import counters
from core.config import Settings
from core.db import Database
from core.errors import DomainError, ValidationFailed
from core.fieldwork.sync import SyncService


def service(database: Database, **kwargs: Any) -> SyncService:
    return SyncService(database, Settings(secret_key="s" * 40), **kwargs)


async def started(database: Database, tmp_path: Path) -> tuple[dict[str, Any], str]:
    ready = await field_task(database, tmp_path)
    begin = op("start_task", ready["task_id"], {"checklist_id": ready["checklist_id"]},
               place={"lat": ready["lat"], "lon": ready["lon"], "accuracy_m": 8})
    assert (await service(database).push(ALICE, [begin], device_now=datetime.now(UTC)))[0].status.value == "APPLIED"
    return ready, str(begin["record_id"])


def finding(task_id: str, inspection_id: str, **extra: Any) -> dict[str, Any]:
    return op("record_finding", task_id, {"inspection_id": inspection_id, "severity": "general",
                                          "violation_type": "exceed_standard", "description": "超标排放", **extra})


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


UNSAFE = {
    "NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"), "2**63": 2**63,
    "-2**63-1": -(2**63) - 1, "2**70": 2**70, "lone surrogate": "\ud800", "surrogate key": {"\udc00": 1},
    "NUL in a key": {"a\x00b": 1}, "operator key": {"$where": "1"}, "nested 40 deep": nested(40),
    "NaN in a list": [1, float("nan")],
}


async def log_ids(database: Database, task_id: str) -> set[str]:
    """The op ids of the task's log entries after its start."""
    query = {"task_id": task_id, "kind": {"$ne": "start_task"}}
    return {e["_id"] async for e in database["field_log"].find(query, {"_id": 1})}


async def test_good_bad_good(database: Database, tmp_path: Path) -> None:
    ready, inspection = await started(database, tmp_path)
    task = ready["task_id"]
    good, bad, other = finding(task, inspection), finding(task, inspection, ph=float("nan")), finding(task, inspection)
    sync = service(database)
    first = await sync.push(ALICE, [good, bad, other], device_now=datetime.now(UTC))
    assert [(r.status.value, r.code) for r in first] == [("APPLIED", None), ("REJECTED", "BAD_USER_INPUT"),
                                                         ("APPLIED", None)]
    assert first[1].op_id == bad["op_id"] and "payload.ph" in (first[1].message or "")
    assert await log_ids(database, task) == {good["op_id"], other["op_id"]}
    again = await sync.push(ALICE, [good, bad, other], device_now=datetime.now(UTC))
    assert [(r.status.value, r.code) for r in again] == [("REPLAYED", None), ("REJECTED", "BAD_USER_INPUT"),
                                                         ("REPLAYED", None)]
    assert [r.seq for r in again] == [r.seq for r in first]
    assert await log_ids(database, task) == {good["op_id"], other["op_id"]}
    assert await database["sync_rejections"].count_documents({"op_id": bad["op_id"]}) == 2  # kept, not lost
    pulled = await sync.pull(BOB, since=0, first=100)
    assert {c["record_id"] for c in pulled["changes"]} == {inspection, good["record_id"], other["record_id"]}


@pytest.mark.parametrize("where", ["payload", "refused op"])
async def test_values_that_cannot_be_stored(database: Database, tmp_path: Path, where: str) -> None:
    """Each value alone in an otherwise valid op (or in one that would be refused anyway), between good ops."""
    ready, inspection = await started(database, tmp_path)
    task = ready["task_id"]
    batch, expected = [], []
    for label, value in UNSAFE.items():
        bad = finding(task, inspection, extra=value)
        if where == "refused op":  # refused for its severity, and its rejection record still holds the value
            bad["payload"]["severity"] = "catastrophic"
        batch += [finding(task, inspection, description=f"before {label}"), bad]
        expected += [("APPLIED", None), ("REJECTED", "BAD_USER_INPUT", label)]
    results = await service(database).push(ALICE, batch, device_now=datetime.now(UTC))
    got = [(r.status.value, r.code) if e[0] == "APPLIED" else (r.status.value, r.code, e[2])
           for r, e in zip(results, expected, strict=True)]
    assert got == expected
    goods = {o["op_id"] for o, e in zip(batch, expected, strict=True) if e[0] == "APPLIED"}
    assert await log_ids(database, task) == goods
    assert await database["sync_ops"].count_documents({"task_id": task}) == len(goods) + 1
    assert await database["sync_rejections"].count_documents({"task_id": task}) == len(UNSAFE)
    page = await service(database).pull(BOB, since=0, first=500)
    assert len(page["changes"]) == len(goods) + 1
    json.dumps(page["changes"], default=str, allow_nan=False)  # what a client reads back is JSON


def variants(task: str, inspection: str) -> list[tuple[str, Any, str]]:
    """(label, op, expected code): every field of an op, wrong in every way a client can get it wrong."""
    base = finding(task, inspection)

    def with_(**changes: Any) -> dict[str, Any]:
        return {**finding(task, inspection), **changes}

    def without(name: str) -> dict[str, Any]:
        return {k: v for k, v in finding(task, inspection).items() if k != name}

    photo = {"inspection_id": inspection, "kind": "photo", "mime_type": "image/jpeg",
             "sha256": hashlib.sha256(b"x").hexdigest(), "file_name": "a.jpg"}
    return [
        ("op is null", None, "MALFORMED_OP"), ("op is a number", 5, "MALFORMED_OP"),
        ("op is a string", "record_finding", "MALFORMED_OP"), ("op is a list", [base], "MALFORMED_OP"),
        ("payload is a number", with_(payload=5), "MALFORMED_OP"),
        ("payload is a string", with_(payload="超标"), "MALFORMED_OP"),
        ("payload is a list", with_(payload=[["inspection_id", inspection]]), "MALFORMED_OP"),
        ("payload is true", with_(payload=True), "MALFORMED_OP"),
        ("payload is null", with_(payload=None), "MALFORMED_OP"),
        ("payload holds 2**63", with_(payload={**base["payload"], "n": 2**63}), "BAD_USER_INPUT"),
        ("op_id missing", without("op_id"), "MALFORMED_OP"), ("op_id a number", with_(op_id=5), "MALFORMED_OP"),
        ("op_id not a UUID", with_(op_id="op-1"), "MALFORMED_OP"),
        ("op_id a surrogate", with_(op_id="\ud800"), "BAD_USER_INPUT"),
        ("type unknown", with_(type="drop_task"), "MALFORMED_OP"), ("type null", with_(type=None), "MALFORMED_OP"),
        ("task_id a number", with_(task_id=5), "MALFORMED_OP"), ("task_id empty", with_(task_id=""), "MALFORMED_OP"),
        ("task_id too long", with_(task_id="t" * 500), "MALFORMED_OP"),
        ("task_id unknown", with_(task_id="no-such-task"), "NOT_FOUND"),
        ("record_id not a UUID", with_(record_id="1"), "MALFORMED_OP"),
        ("record_id missing", without("record_id"), "MALFORMED_OP"),
        ("base_version 0", with_(base_version=0), "MALFORMED_OP"),
        ("base_version -1", with_(base_version=-1), "MALFORMED_OP"),
        ("base_version 2**63", with_(base_version=2**63), "BAD_USER_INPUT"),
        ("base_version 2**63-1", with_(base_version=2**63 - 1), "NOT_FOUND"),
        ("base_version text", with_(base_version="1"), "MALFORMED_OP"),
        ("base_version 1.5", with_(base_version=1.5), "MALFORMED_OP"),
        ("base_version true", with_(base_version=True), "MALFORMED_OP"),
        ("device_time missing", without("device_time"), "INVALID_TIMESTAMP"),
        ("device_time text", with_(device_time="yesterday"), "INVALID_TIMESTAMP"),
        ("device_time year 1", with_(device_time="0001-01-01T00:00:00+00:00"), "INVALID_TIMESTAMP"),
        ("device_time past 9999 in UTC", with_(device_time="9999-12-31T23:59:59-23:00"), "INVALID_TIMESTAMP"),
        ("device_time naive", with_(device_time="2024-05-01T10:00:00"), "INVALID_TIMESTAMP"),
        ("device_time a list", with_(device_time=[2024]), "INVALID_TIMESTAMP"),
        ("gps_time text", with_(gps_time="noon"), "INVALID_TIMESTAMP"),
        ("gps_time naive", with_(gps_time="2024-05-01T10:00:00"), "INVALID_TIMESTAMP"),
        ("place NaN", with_(place={"lat": float("nan"), "lon": 108.9}), "BAD_USER_INPUT"),
        ("place off the earth", with_(place={"lat": 95.0, "lon": 108.9}), "INVALID_COORDINATES"),
        ("place text", with_(place={"lat": "north", "lon": 108.9}), "INVALID_COORDINATES"),
        ("place a string", with_(place="西安"), "INVALID_COORDINATES"),
        ("place extra key", with_(place={"lat": 34.2, "lon": 108.9, "alt": 400}), "INVALID_COORDINATES"),
        ("extra field", with_(sql="drop"), "MALFORMED_OP"),
        ("severity a list", with_(payload={**base["payload"], "severity": ["minor"]}), "INVALID_VALUE"),
        ("description a number", with_(payload={**base["payload"], "description": 5}), "REQUIRED"),
        ("inspection_id an object", with_(payload={**base["payload"], "inspection_id": {"a": 1}}), "NOT_FOUND"),
        ("answer item a list", with_(type="answer_item", payload={"inspection_id": inspection, "item_id": ["x"],
                                                                  "value": 1}), "UNKNOWN_ITEM"),
        ("answer NaN", with_(type="answer_item", payload={"inspection_id": inspection, "item_id": "outlet_ph",
                                                          "value": float("nan")}), "BAD_USER_INPUT"),
        ("evidence size text", with_(type="register_evidence", payload={**photo, "size": "2 MB"}), "INVALID_VALUE"),
        ("evidence size 2**64", with_(type="register_evidence", payload={**photo, "size": 2**64}), "BAD_USER_INPUT"),
        ("party signature a list", with_(type="record_party", payload={
            "inspection_id": inspection, "name": "张经理", "signature_evidence_id": ["x"]}), "INVALID_VALUE"),
        ("party name an object", with_(type="record_party", payload={
            "inspection_id": inspection, "name": {"a": 1}, "refused": True, "reason": "拒签"}), "REQUIRED"),
        ("payload too large", with_(payload={**base["payload"], "notes": "长" * 40_000}), "PAYLOAD_TOO_LARGE"),
    ]


async def test_every_malformed_op_is_rejected_alone(database: Database, tmp_path: Path) -> None:
    ready = await field_task(database, tmp_path)
    task, sync = ready["task_id"], service(database)
    # A start naming its checklist with a list or an object (unhashable ids), then a good start.
    starts = [op("start_task", task, {"checklist_id": bad}) for bad in ([ready["checklist_id"]], {"a": 1})]
    begin = op("start_task", task, {"checklist_id": ready["checklist_id"]})
    opened = await sync.push(ALICE, [*starts, begin], device_now=datetime.now(UTC))
    assert [(r.status.value, r.code) for r in opened] == [("REJECTED", "INVALID_VALUE")] * 2 + [("APPLIED", None)]
    inspection = begin["record_id"]
    table = variants(task, inspection)
    batch: list[Any] = []
    for label, bad, _ in table:
        batch += [finding(task, inspection, description=f"before {label}"), bad]
    goods = batch[0::2]
    # The device clock a minute ahead: a device time of year 1, shifted by the skew, would leave the calendar.
    device_now = datetime.now(UTC) + timedelta(minutes=1)
    first = await sync.push(ALICE, batch, device_now=device_now)
    assert len(first) == len(batch)
    assert [r.status.value for r in first[0::2]] == ["APPLIED"] * len(goods)
    assert [(label, r.status.value, r.code) for (label, _, _), r in zip(table, first[1::2], strict=True)] == [
        (label, "REJECTED", code) for label, _, code in table]
    assert await log_ids(database, task) == {g["op_id"] for g in goods}
    assert await database["sync_rejections"].count_documents({}) == len(table) + 2
    again = await sync.push(ALICE, batch, device_now=device_now)
    assert [r.status.value for r in again[0::2]] == ["REPLAYED"] * len(goods)
    assert [(r.status.value, r.code) for r in again[1::2]] == [("REJECTED", code) for _, _, code in table]
    assert await log_ids(database, task) == {g["op_id"] for g in goods}


@pytest.mark.parametrize("device_now", [datetime(9999, 12, 31, 23, 0, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
                                        datetime(2024, 5, 1, 10, 0)])  # noqa: DTZ001 - naive on purpose
async def test_an_impossible_device_clock_is_a_coded_refusal(database: Database, tmp_path: Path,
                                                             device_now: datetime) -> None:
    ready, inspection = await started(database, tmp_path)
    with pytest.raises(ValidationFailed) as refused:
        await service(database).push(ALICE, [finding(ready["task_id"], inspection)], device_now=device_now)
    assert refused.value.code == "INVALID_TIMESTAMP"
    assert await log_ids(database, ready["task_id"]) == set()


async def test_a_write_that_fails_leaves_nothing(database: Database, tmp_path: Path) -> None:
    """The transaction fails late (on the evidence insert): no op, log entry, rejection or state of the push stays."""
    ready, inspection = await started(database, tmp_path)
    task = ready["task_id"]
    photo = op("register_evidence", task, {"inspection_id": inspection, "kind": "photo", "mime_type": "image/jpeg",
                                           "size": 10, "sha256": hashlib.sha256(b"x").hexdigest()})
    stray = {"_id": photo["record_id"], "task_id": task, "inspection_id": inspection, "size": 10, "received": 0,
             "sha256": photo["payload"]["sha256"], "status": "pending"}
    await database["evidence"].insert_one(stray)  # in the way of the push's insert
    before = {name: await database[name].count_documents({}) for name in
              ("field_log", "sync_ops", "sync_rejections", "sync_conflicts", "field_inspections")}
    chain = await database["field_chains"].find_one({"_id": task})
    batch = [finding(task, inspection), finding(task, inspection, severity="none"), photo]
    with pytest.raises(DomainError) as busy:
        await service(database, busy_budget_s=0.3).push(ALICE, batch, device_now=datetime.now(UTC))
    assert busy.value.code == "SYNC_BUSY" and "retry in" in busy.value.message
    after = {name: await database[name].count_documents({}) for name in before}
    assert after == before
    assert await database["field_chains"].find_one({"_id": task}) == chain
    assert (await database["field_inspections"].find_one({"_id": inspection}))["findings"] == []


async def test_pull_reads_past_values_stored_before_screening(database: Database, tmp_path: Path,
                                                             client: httpx.AsyncClient,
                                                             users: dict[str, str]) -> None:
    ready, inspection = await started(database, tmp_path)
    stored = await database["field_log"].find_one({"task_id": ready["task_id"]})
    seq = await counters.reserve(database, "field_seq", 1)
    await database["field_log"].insert_one({**stored, "_id": "legacy", "record_id": "legacy", "seq": seq,
                                            "kind": "answer_item", "body": {"value": math.nan, "max": math.inf}})
    page = await service(database).pull(ALICE, since=0, first=10)
    assert [c["body"] for c in page["changes"] if c["_id"] == "legacy"] == [{"value": None, "max": None}]
    token = await token_for(client, "xian_inspector")  # linked to ALICE's staff id
    response = await client.post("/graphql", json={"query": "{ syncPull(since: 0, first: 10) { changes { recordId "
                                                            "body } } }"},
                                 headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer
    assert {"recordId": "legacy", "body": {"value": None, "max": None}} in answer["data"]["syncPull"]["changes"]


PUSH = """mutation($i: SyncPushInput!) { syncPush(input: $i) {
  results { opId status code } userErrors { field message code } } }"""


def graphql_op(raw: dict[str, Any]) -> dict[str, Any]:
    return {"opId": raw["op_id"], "type": raw["type"].upper(), "taskId": raw["task_id"], "recordId": raw["record_id"],
            "deviceTime": raw["device_time"], "payload": raw["payload"]}


# (label, the bad op's payload as JSON text, the code if refused per op): "+" adds one member to a payload that
# is otherwise valid; what json.dumps cannot or will not write (NaN, a lone surrogate) is spliced in as text.
GRAPHQL_PAYLOADS = [("a number", "5", "MALFORMED_OP"), ("a string", '"超标"', "MALFORMED_OP"),
                    ("a list", "[1, 2]", "MALFORMED_OP"), ("NaN", "NaN", "MALFORMED_OP"),
                    ("2**70", f'+"n": {2**70}', "BAD_USER_INPUT"), ("Infinity", '+"ph": Infinity', "BAD_USER_INPUT"),
                    ("-NaN", '+"ph": -NaN', "BAD_USER_INPUT"),
                    ("a lone surrogate", '+"s": "\\ud800"', "BAD_USER_INPUT"),
                    ("an operator key", '+"$where": 1', "BAD_USER_INPUT"),
                    ("a NUL key", '+"a\\u0000b": 1', "BAD_USER_INPUT")]


@pytest.mark.parametrize(("label", "payload", "code"), GRAPHQL_PAYLOADS, ids=[p[0] for p in GRAPHQL_PAYLOADS])
async def test_graphql_push_never_applies_or_fails_on_a_bad_payload(
        database: Database, tmp_path: Path, client: httpx.AsyncClient, users: dict[str, str],
        label: str, payload: str, code: str) -> None:
    ready, inspection = await started(database, tmp_path)
    task = ready["task_id"]
    good, bad, other = finding(task, inspection), finding(task, inspection), finding(task, inspection)
    if payload.startswith("+"):
        payload = json.dumps(bad["payload"])[:-1] + ", " + payload[1:] + "}"
    ops = [graphql_op(good), {**graphql_op(bad), "payload": "@BAD@"}, graphql_op(other)]
    body = json.dumps({"query": PUSH, "variables": {"i": {"deviceNow": datetime.now(UTC).isoformat(), "ops": ops}}})
    body = body.replace('"@BAD@"', payload)
    token = await token_for(client, "xian_inspector")
    response = await client.post("/graphql", content=body.encode(),
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    assert response.status_code in (200, 400), (label, response.status_code, response.text)
    answer = response.json()
    if answer.get("errors"):  # refused whole, at the edge: coded, and nothing of the push written
        codes = [e.get("extensions", {}).get("code") for e in answer["errors"]]
        assert codes and None not in codes and "INTERNAL_ERROR" not in codes, (label, answer)
        assert await log_ids(database, task) == set()
    else:
        results = answer["data"]["syncPush"]["results"]
        assert [(r["status"], r["code"]) for r in results] == [
            ("APPLIED", None), ("REJECTED", code), ("APPLIED", None)], (label, answer)
        assert await log_ids(database, task) == {good["op_id"], other["op_id"]}
    pulled = await client.post("/graphql", json={"query": "{ syncPull(since: 0, first: 10) { nextSince } }"},
                               headers={"authorization": f"Bearer {token}"})
    assert pulled.status_code == 200 and "errors" not in pulled.json(), pulled.text
