"""Evidence registered with a wrong hash can be withdrawn (chained) and replaced, so its inspection completes."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fieldwork_setup import ALICE, BOB, field_task, op

from core.config import Settings
from core.db import Database
from core.evidence.models import Evidence
from core.evidence.ranges import ContentRange, UploadRejected
from core.evidence.upload import EvidenceUploadService
from core.fieldwork.chain import verify_task
from core.fieldwork.completion import evidence_completed
from core.fieldwork.sync import SyncService

SETTINGS = Settings(secret_key="s" * 40)
DATA = b"%PDF-1.4\n" + b"x" * 2000


def now() -> datetime:
    return datetime.now(UTC)


def register(task_id: str, inspection_id: str, sha256: str) -> dict[str, Any]:
    return op("register_evidence", task_id, {"inspection_id": inspection_id, "kind": "document",
                                             "mime_type": "application/pdf", "size": len(DATA), "sha256": sha256,
                                             "file_name": "permit.pdf"})


def withdraw(task_id: str, inspection_id: str, evidence_id: str, reason: str = "wrong hash declared"
             ) -> dict[str, Any]:
    return op("withdraw_evidence", task_id, {"inspection_id": inspection_id, "evidence_id": evidence_id,
                                             "reason": reason})


@pytest.fixture
async def submitted(database: Database, tmp_path: Path) -> dict[str, Any]:
    """A task submitted with one evidence file whose declared hash is wrong: it awaits evidence."""
    ready = await field_task(database, tmp_path)
    task_id, sync = ready["task_id"], SyncService(database, SETTINGS)
    begin = op("start_task", task_id, {"checklist_id": ready["checklist_id"]},
               place={"lat": ready["lat"], "lon": ready["lon"], "accuracy_m": 8})
    inspection = {"inspection_id": begin["record_id"]}
    wrong = register(task_id, begin["record_id"], hashlib.sha256(b"not the file").hexdigest())
    ops = [begin, wrong,
           *(op("answer_item", task_id, {**inspection, "item_id": i, "value": v})
             for i, v in (("permit_posted", True), ("treatment_state", "running"))),
           op("record_party", task_id, {**inspection, "name": "张经理", "refused": True, "reason": "拒绝签字"}),
           op("sign", task_id, inspection)]
    assert {r.status.value for r in await sync.push(ALICE, ops, device_now=now())} == {"APPLIED"}
    await sync.push(BOB, [op("sign", task_id, inspection)], device_now=now())
    done = await sync.push(ALICE, [op("submit_task", task_id, inspection)], device_now=now())
    assert done[0].status.value == "APPLIED"
    return {"task_id": task_id, "inspection_id": begin["record_id"], "evidence_id": wrong["record_id"]}


async def _body() -> AsyncIterator[bytes]:
    yield DATA


async def _status(database: Database, inspection_id: str) -> str:
    found = await database["field_inspections"].find_one({"_id": inspection_id})
    assert found is not None
    return str(found["status"])


async def test_wrong_hash_never_completes_but_a_withdrawal_lets_the_inspection_complete(
        database: Database, submitted: dict[str, Any]) -> None:
    task_id, inspection_id, evidence_id = submitted["task_id"], submitted["inspection_id"], submitted["evidence_id"]
    uploads = EvidenceUploadService(database, SETTINGS)
    with pytest.raises(UploadRejected) as mismatch:
        await uploads.receive(ALICE, evidence_id, content_range=ContentRange(len(DATA), 0, len(DATA) - 1),
                              body=_body())
    assert mismatch.value.code == "HASH_MISMATCH"
    assert await _status(database, inspection_id) == "awaiting_evidence"

    sync = SyncService(database, SETTINGS)
    withdrawal = withdraw(task_id, inspection_id, evidence_id)
    result = (await sync.push(ALICE, [withdrawal], device_now=now()))[0]
    assert result.status.value == "APPLIED", result
    assert await _status(database, inspection_id) == "submitted"
    stored = await database["evidence"].find_one({"_id": evidence_id})
    assert stored is not None and stored["status"] == "withdrawn"
    entry = await database["field_log"].find_one({"record_id": withdrawal["record_id"]})
    assert entry is not None and entry["kind"] == "withdraw_evidence" and entry["body"]["evidence_id"] == evidence_id
    report = await verify_task(database, task_id)
    assert report.problems == [] and report.entries == 9 and report.evidence_checked == 0

    # Idempotent by client id: the same op, or the same record under a new op id, is a replay.
    assert (await sync.push(ALICE, [withdrawal], device_now=now()))[0].status.value == "REPLAYED"
    again = {**withdrawal, "op_id": withdraw(task_id, inspection_id, evidence_id)["op_id"]}
    assert (await sync.push(ALICE, [again], device_now=now()))[0].status.value == "REPLAYED"
    other = {**again, "op_id": withdraw(task_id, inspection_id, evidence_id)["op_id"],
             "payload": {**withdrawal["payload"], "reason": "another reason"}}
    assert (await sync.push(ALICE, [other], device_now=now()))[0].code == "ID_CONFLICT"

    # A withdrawn file takes no more bytes.
    with pytest.raises(UploadRejected) as gone:
        await uploads.receive(ALICE, evidence_id, content_range=ContentRange(len(DATA), 0, len(DATA) - 1),
                              body=_body())
    assert gone.value.code == "EVIDENCE_WITHDRAWN"


async def test_a_replacement_is_registered_then_the_wrong_one_withdrawn(
        database: Database, submitted: dict[str, Any]) -> None:
    task_id, inspection_id, evidence_id = submitted["task_id"], submitted["inspection_id"], submitted["evidence_id"]
    sync = SyncService(database, SETTINGS)
    replacement = register(task_id, inspection_id, hashlib.sha256(DATA).hexdigest())
    results = await sync.push(ALICE, [replacement, withdraw(task_id, inspection_id, evidence_id)], device_now=now())
    assert [r.status.value for r in results] == ["APPLIED", "APPLIED"], results
    assert await _status(database, inspection_id) == "awaiting_evidence"  # the replacement is still to upload
    done = await EvidenceUploadService(database, SETTINGS, on_complete=_completion(database)).receive(
        ALICE, replacement["record_id"], content_range=ContentRange(len(DATA), 0, len(DATA) - 1), body=_body())
    assert done.status.value == "complete"
    assert await _status(database, inspection_id) == "submitted"
    found = await database["field_inspections"].find_one({"_id": inspection_id})
    assert found is not None and found["evidence"] == {replacement["record_id"]: "complete"}
    assert (await verify_task(database, task_id)).problems == []


def _completion(database: Database) -> Any:
    async def hook(evidence: Evidence) -> None:
        await evidence_completed(database, evidence)
    return hook


@pytest.mark.parametrize(("change", "code"), [
    ({"reason": " "}, "REASON_REQUIRED"),
    ({"evidence_id": "00000000-0000-4000-8000-000000000000"}, "NOT_FOUND"),
    ({"evidence_id": ["x"]}, "INVALID_VALUE"),
])
async def test_bad_withdrawals_are_refused(database: Database, submitted: dict[str, Any], change: dict[str, Any],
                                           code: str) -> None:
    refused = withdraw(submitted["task_id"], submitted["inspection_id"], submitted["evidence_id"])
    refused["payload"].update(change)
    result = (await SyncService(database, SETTINGS).push(ALICE, [refused], device_now=now()))[0]
    assert (result.status.value, result.code) == ("REJECTED", code)
    assert await _status(database, submitted["inspection_id"]) == "awaiting_evidence"
    stored = await database["evidence"].find_one({"_id": submitted["evidence_id"]})
    assert stored is not None and stored["status"] == "pending"


async def test_complete_evidence_and_the_party_signature_cannot_be_withdrawn(
        database: Database, tmp_path: Path) -> None:
    ready = await field_task(database, tmp_path)
    task_id, sync = ready["task_id"], SyncService(database, SETTINGS)
    begin = op("start_task", task_id, {"checklist_id": ready["checklist_id"]})
    inspection_id = begin["record_id"]
    signature = op("register_evidence", task_id, {"inspection_id": inspection_id, "kind": "photo",
                                                  "mime_type": "image/jpeg", "size": 100, "sha256": "a" * 64})
    party = op("record_party", task_id, {"inspection_id": inspection_id, "name": "张经理", "refused": False,
                                         "signature_evidence_id": signature["record_id"]})
    document = register(task_id, inspection_id, hashlib.sha256(DATA).hexdigest())
    assert {r.status.value for r in await sync.push(ALICE, [begin, signature, party, document],
                                                    device_now=now())} == {"APPLIED"}
    in_use = (await sync.push(ALICE, [withdraw(task_id, inspection_id, signature["record_id"])],
                              device_now=now()))[0]
    assert in_use.code == "EVIDENCE_IN_USE"
    await EvidenceUploadService(database, SETTINGS, on_complete=_completion(database)).receive(
        ALICE, document["record_id"], content_range=ContentRange(len(DATA), 0, len(DATA) - 1), body=_body())
    complete = (await sync.push(ALICE, [withdraw(task_id, inspection_id, document["record_id"])],
                                device_now=now()))[0]
    assert complete.code == "UPLOAD_COMPLETE"
