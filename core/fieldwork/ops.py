"""Applying one sync operation to the batch state: checks, flags, the log entry it becomes.

Pure: no storage. An operation is refused (``Refused``: REJECTED with a code, nothing written),
flagged as a conflict for the supervisor (``Conflicted``: kept, not applied), or applied (a log
entry appended to ``batch.entries``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.error_codes import ErrorCode
from core.evidence import media
from core.fieldwork.geo import distance_m
from core.fieldwork.models import Checklist, InspectionStatus, SyncOp
from core.fieldwork.state import Batch, InspectionState, RecordHead, TaskState, body_hash, chain_hash

EDITABLE = {"answer_item", "record_finding"}
SEVERITIES = ("minor", "general", "serious")


class Refused(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Conflicted(Refused):
    """Kept for the supervisor to resolve; the device's value is not applied."""


class Replayed(Exception):
    def __init__(self, head: RecordHead) -> None:
        super().__init__(head.record_id)
        self.head = head


@dataclass(frozen=True)
class OpContext:
    staff_id: str
    username: str
    certificate_number: str
    certificate_expires: str  # ISO date
    now: datetime
    skew: timedelta  # device clock minus server clock, from the push's deviceNow
    max_skew: timedelta
    max_distance_m: float
    max_accuracy_m: float
    limits: media.EvidenceLimits


def apply(batch: Batch, op: SyncOp, ctx: OpContext) -> dict[str, Any]:
    """Apply ``op``; returns its log entry. Raises Refused, Conflicted or Replayed."""
    task = batch.tasks.get(op.task_id)
    if task is None:
        raise Refused(ErrorCode.NOT_FOUND, f"task {op.task_id} not found")
    flags = _time_flags(op, ctx)
    handler = _HANDLERS[op.type]
    inspection, version, kind, extra_flags = handler(batch, task, op, ctx)
    entry: dict[str, Any] = {
        "_id": op.op_id, "task_id": task.id, "inspection_id": inspection.id, "record_id": op.record_id,
        "kind": kind, "version": version, "body": op.payload, "body_hash": body_hash(op.payload),
        "author": ctx.username, "staff_id": ctx.staff_id, "device_time": op.device_time,
        "gps_time": op.gps_time, "server_time": ctx.now,
        "place": op.place.model_dump() if op.place else None, "flags": flags + extra_flags}
    entry["prev"] = task.chain_head
    entry["hash"] = chain_hash(task.chain_head, entry)
    task.chain_head, task.chain_length = entry["hash"], task.chain_length + 1
    batch.entries.append(entry)
    batch.records[op.record_id] = RecordHead(op.record_id, kind, inspection.id, version, op.payload,
                                             entry["body_hash"], ctx.username, deleted=kind == "delete_record")
    return entry


def _text(value: Any) -> str:
    """A device's text field: anything but a string (null included) counts as empty."""
    return value.strip() if isinstance(value, str) else ""


def _reference(op: SyncOp, name: str) -> str | None:
    """An id the payload names: absent, or a string (a list or an object is no id, and not hashable)."""
    value = op.payload.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Refused(ErrorCode.INVALID_VALUE, f"{name} must be a string id, got {type(value).__name__}")


def _time_flags(op: SyncOp, ctx: OpContext) -> list[str]:
    if op.device_time.tzinfo is None or (op.gps_time is not None and op.gps_time.tzinfo is None):
        raise Refused(ErrorCode.INVALID_TIMESTAMP, "times need a UTC offset")
    device_now = ctx.now + ctx.skew
    if op.device_time > device_now + ctx.max_skew:
        raise Refused(ErrorCode.TIMESTAMP_IN_FUTURE, f"device time {op.device_time.isoformat()} is after the device's "
                                             "own clock at sync")
    flags = []
    if abs(ctx.skew) > ctx.max_skew:
        flags.append(f"CLOCK_SKEW:{int(ctx.skew.total_seconds())}s")
    if op.gps_time is not None and abs(op.gps_time - op.device_time) > ctx.max_skew:
        flags.append(f"GPS_TIME_MISMATCH:{int((op.device_time - op.gps_time).total_seconds())}s")
    if op.place is not None and op.place.accuracy_m is not None and op.place.accuracy_m > ctx.max_accuracy_m:
        flags.append(f"LOW_ACCURACY:{op.place.accuracy_m:g}m")
    return flags


def _replay_or_conflict(batch: Batch, op: SyncOp, kind: str) -> None:
    """A create under a record id that exists: the same payload is a replay, anything else ID_CONFLICT."""
    head = batch.records.get(op.record_id)
    if head is None:
        return
    if head.kind == kind and head.body_hash == body_hash(op.payload) and head.version == 1:
        raise Replayed(head)
    raise Refused(ErrorCode.ID_CONFLICT, f"record {op.record_id} exists with a different payload")


def _open_inspection(batch: Batch, task: TaskState, op: SyncOp) -> InspectionState:
    inspection_id = op.payload.get("inspection_id")
    inspection = batch.inspections.get(str(inspection_id))
    if inspection is None or inspection.task_id != task.id:
        raise Refused(ErrorCode.NOT_FOUND, f"inspection {inspection_id} of task {task.id} not found")
    if inspection.status != InspectionStatus.IN_PROGRESS:
        raise Refused(ErrorCode.RECORD_IMMUTABLE, f"inspection {inspection.id} is {inspection.status}: "
                                          "submit a correction instead")
    return inspection


def _start(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    _replay_or_conflict(batch, op, "start_task")
    current = batch.active_inspection.get(task.id)
    if current is not None:
        raise Conflicted(ErrorCode.INSPECTION_EXISTS, f"task {task.id} was already started as inspection {current}")
    checklist_id = _reference(op, "checklist_id")
    if checklist_id is not None and checklist_id not in batch.checklists:
        raise Refused(ErrorCode.UNKNOWN_CHECKLIST, f"checklist {checklist_id} not found")
    flags = _place_flags(task, op, ctx)
    inspection = InspectionState(id=op.record_id, task_id=task.id, status=InspectionStatus.IN_PROGRESS,
                                 started_at=op.device_time - ctx.skew, started_by=ctx.staff_id,
                                 place=op.place.model_dump() if op.place else None, flags=flags,
                                 checklist_id=checklist_id, changed=True)
    batch.inspections[inspection.id] = inspection
    batch.active_inspection[task.id] = inspection.id
    if task.status == "assigned":
        task.status, task.status_changed = "in_progress", True
    return inspection, 1, "start_task", flags


def _place_flags(task: TaskState, op: SyncOp, ctx: OpContext) -> list[str]:
    if op.place is None:
        return ["NO_LOCATION"]
    if task.location is None:
        return []
    far = distance_m(op.place.lat, op.place.lon, *task.location)
    return [f"FAR_FROM_ENTERPRISE:{far:.0f}m"] if far > ctx.max_distance_m else []


def _edit_version(batch: Batch, op: SyncOp, kind: str, inspection: InspectionState) -> int:
    """The new version of an editable record; a stale base is a conflict (answers) or refused (findings)."""
    if op.base_version is None:
        _replay_or_conflict(batch, op, kind)
        return 1
    head = batch.records.get(op.record_id)
    if head is None or head.kind not in (kind, "delete_record") or head.inspection_id != inspection.id:
        raise Refused(ErrorCode.NOT_FOUND, f"record {op.record_id} not found")
    if head.deleted:
        raise Refused(ErrorCode.RECORD_DELETED, f"record {op.record_id} was deleted")
    if head.version != op.base_version:
        message = f"record {op.record_id} is at version {head.version}, not {op.base_version}"
        if kind == "answer_item":
            raise Conflicted(ErrorCode.STALE_VERSION, message)
        raise Refused(ErrorCode.STALE_VERSION, message)
    return head.version + 1


def _answer(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    inspection = _open_inspection(batch, task, op)
    checklist: Checklist | None = batch.checklists.get(inspection.checklist_id or "")
    item_id = str(op.payload.get("item_id"))
    item = checklist.item(item_id) if checklist else None
    if item is None:
        raise Refused(ErrorCode.UNKNOWN_ITEM, f"item {item_id} is not on checklist {inspection.checklist_id}")
    if not item.accepts(op.payload.get("value")):
        raise Refused(ErrorCode.INVALID_VALUE,
                      f"item {item_id} ({item.type.value}) cannot take {op.payload.get('value')!r}")
    version = _edit_version(batch, op, "answer_item", inspection)
    if version > 1 and batch.records[op.record_id].body.get("item_id") != item_id:
        raise Refused(ErrorCode.ITEM_CHANGED, f"record {op.record_id} answers "
                      f"{batch.records[op.record_id].body.get('item_id')}; answer another item with a new record")
    holder = inspection.answers.get(item_id)
    if holder is not None and holder != op.record_id:
        raise Conflicted(ErrorCode.DUPLICATE_ANSWER, f"item {item_id} was already answered by record {holder}")
    inspection.answers[item_id], inspection.changed = op.record_id, True
    return inspection, version, "answer_item", []


def _finding(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    inspection = _open_inspection(batch, task, op)
    payload = op.payload
    if payload.get("severity") not in SEVERITIES:
        raise Refused(ErrorCode.INVALID_VALUE, f"severity must be one of {', '.join(SEVERITIES)}")
    for name in ("violation_type", "description"):
        if not isinstance(payload.get(name), str) or not 0 < len(payload[name]) <= 2000:
            raise Refused(ErrorCode.REQUIRED, f"a finding needs {name}")
    version = _edit_version(batch, op, "record_finding", inspection)
    if op.record_id not in inspection.findings:
        inspection.findings.append(op.record_id)
        inspection.changed = True
    return inspection, version, "record_finding", []


def _delete(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    inspection = _open_inspection(batch, task, op)
    head = batch.records.get(op.record_id)
    if head is None or head.kind not in EDITABLE or head.inspection_id != inspection.id:
        raise Refused(ErrorCode.NOT_FOUND, f"record {op.record_id} not found")
    if op.base_version != head.version:
        raise Refused(ErrorCode.STALE_VERSION, f"record {op.record_id} is at version {head.version}")
    inspection.answers = {k: v for k, v in inspection.answers.items() if v != op.record_id}
    inspection.findings = [f for f in inspection.findings if f != op.record_id]
    inspection.changed = True
    return inspection, head.version + 1, "delete_record", []


def _evidence_inspection(batch: Batch, task: TaskState, op: SyncOp) -> InspectionState:
    """An open inspection, or a submitted one still awaiting evidence: its files may be replaced."""
    inspection = batch.inspections.get(str(op.payload.get("inspection_id")))
    if inspection is not None and inspection.task_id == task.id and inspection.superseded_by is None \
            and inspection.status == InspectionStatus.AWAITING_EVIDENCE:
        return inspection
    return _open_inspection(batch, task, op)


def _evidence(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    _replay_or_conflict(batch, op, "register_evidence")
    inspection = _evidence_inspection(batch, task, op)
    p = op.payload
    size = p.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        raise Refused(ErrorCode.INVALID_VALUE, f"size must be a whole number of bytes, got {size!r}")
    problems = media.check_declared(str(p.get("kind")), str(p.get("mime_type")), size, ctx.limits)
    if problems:
        raise Refused(problems[0].code, problems[0].message)
    sha = str(p.get("sha256", ""))
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise Refused(ErrorCode.INVALID_HASH, "sha256 must be 64 lower-case hex digits")
    batch.registrations.append({
        "_id": op.record_id, "task_id": task.id, "inspection_id": inspection.id, "kind": p["kind"],
        "mime_type": media.normalize_mime(str(p["mime_type"])), "size": int(p["size"]), "sha256": sha,
        "file_name": str(p.get("file_name", ""))[:200], "captured_at": op.device_time - ctx.skew,
        "place": op.place.model_dump() if op.place else None, "registered_by": ctx.username,
        "registered_at": ctx.now, "status": "pending", "received": 0, "file_id": None, "metadata": {},
        "completed_at": None})
    inspection.evidence[op.record_id], inspection.changed = "pending", True
    return inspection, 1, "register_evidence", []


def _withdraw(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    """Withdraw a file not yet uploaded (a wrong hash never completes); the last one completes the submission."""
    _replay_or_conflict(batch, op, "withdraw_evidence")
    inspection = _evidence_inspection(batch, task, op)
    evidence_id = _reference(op, "evidence_id")
    state = inspection.evidence.get(evidence_id or "")
    if evidence_id is None or state is None:
        raise Refused(ErrorCode.NOT_FOUND, f"evidence {evidence_id} is not registered on inspection {inspection.id}")
    if state == "complete":
        raise Refused(ErrorCode.UPLOAD_COMPLETE, f"evidence {evidence_id} is stored and verified; it stays")
    if inspection.party is not None and inspection.party.get("signature_evidence_id") == evidence_id:
        raise Refused(ErrorCode.EVIDENCE_IN_USE, f"evidence {evidence_id} is the party's signature image")
    if not _text(op.payload.get("reason")):
        raise Refused(ErrorCode.REASON_REQUIRED, "a withdrawal needs a reason")
    del inspection.evidence[evidence_id]
    batch.withdrawals.append(evidence_id)
    if inspection.status == InspectionStatus.AWAITING_EVIDENCE and all(
            s == "complete" for s in inspection.evidence.values()):
        inspection.status = InspectionStatus.SUBMITTED
    inspection.changed = True
    return inspection, 1, "withdraw_evidence", []


def _sign(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    inspection = _open_inspection(batch, task, op)
    _replay_or_conflict(batch, op, "sign")
    if ctx.staff_id in inspection.signatures:
        raise Refused(ErrorCode.ALREADY_SIGNED, f"{ctx.staff_id} has already signed inspection {inspection.id}")
    if ctx.certificate_expires < ctx.now.date().isoformat():
        raise Refused(ErrorCode.CERTIFICATE_EXPIRED, f"the enforcement certificate of {ctx.staff_id} has expired")
    inspection.signatures[ctx.staff_id] = {"staff_id": ctx.staff_id, "username": ctx.username,
                                           "certificate_number": ctx.certificate_number,
                                           "signed_at": ctx.now, "record_id": op.record_id}
    inspection.changed = True
    return inspection, 1, "sign", []


def _party(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    inspection = _open_inspection(batch, task, op)
    _replay_or_conflict(batch, op, "record_party")
    p = op.payload
    refused = p.get("refused") is True
    if not _text(p.get("name")):
        raise Refused(ErrorCode.REQUIRED, "the inspected party's representative needs a name")
    if refused and not _text(p.get("reason")):
        raise Refused(ErrorCode.REASON_REQUIRED, "a refusal to sign needs the reason")
    signature = _reference(op, "signature_evidence_id")
    if not refused:
        image = batch.records.get(str(signature))
        if signature not in inspection.evidence or image is None or image.body.get("kind") != "photo":
            raise Refused(ErrorCode.SIGNATURE_MISSING, "a signature needs its image registered as photo evidence")
    inspection.party = {"name": _text(p.get("name")), "refused": refused, "reason": _text(p.get("reason")),
                        "signature_evidence_id": signature, "recorded_at": ctx.now, "record_id": op.record_id}
    inspection.changed = True
    return inspection, 1, "record_party", []


def _submit(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    inspection = _open_inspection(batch, task, op)
    _replay_or_conflict(batch, op, "submit_task")
    missing_signers = [s for s in task.inspectors if s not in inspection.signatures]
    if len(inspection.signatures) < 2 or missing_signers:
        raise Refused(ErrorCode.SIGNATURES_MISSING, "every assigned inspector (at least two) must sign: missing "
                                            + ", ".join(missing_signers or ["a second inspector"]))
    if inspection.party is None:
        raise Refused(ErrorCode.PARTY_MISSING, "record the inspected party's signature or refusal first")
    checklist: Checklist | None = batch.checklists.get(inspection.checklist_id or "")
    unanswered = [i.id for i in (checklist.items if checklist else []) if i.required and i.id not in
                  inspection.answers]
    if unanswered:
        raise Refused(ErrorCode.REQUIRED_ITEMS_MISSING, "required items unanswered: " + ", ".join(unanswered))
    pending = [e for e, status in inspection.evidence.items() if status != "complete"]
    inspection.status = InspectionStatus.AWAITING_EVIDENCE if pending else InspectionStatus.SUBMITTED
    inspection.submitted_at, inspection.changed = ctx.now, True
    task.status, task.status_changed = "submitted", True
    if task.credit_code:  # the enterprise was inspected: it counts in "days since the last inspection"
        batch.events.append(inspection_event(task, inspection, ctx))
    return inspection, 1, "submit_task", []


def inspection_event(task: TaskState, inspection: InspectionState, ctx: OpContext) -> dict[str, Any]:
    """The enterprise event of a submitted inspection; its id is derived, so a correction repeats it."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecoinspect:inspection:{task.id}"))
    return {"_id": event_id, "credit_code": task.credit_code, "kind": "inspection",
            "occurred_on": (inspection.started_at + timedelta(hours=8)).date().isoformat(), "ends_on": None,
            "reference": f"task:{task.id}", "description": f"on-site inspection {inspection.id}",
            "source": "inspection", "recorded_by": ctx.username, "recorded_at": ctx.now}


def _correct(batch: Batch, task: TaskState, op: SyncOp, ctx: OpContext) -> tuple[InspectionState, int, str, list[str]]:
    _replay_or_conflict(batch, op, "correct_task")
    old = batch.inspections.get(str(op.payload.get("supersedes")))
    if old is None or old.task_id != task.id or batch.active_inspection.get(task.id) != old.id:
        raise Refused(ErrorCode.NOT_FOUND, f"inspection {op.payload.get('supersedes')} is not the task's current one")
    if old.status == InspectionStatus.IN_PROGRESS:
        raise Refused(ErrorCode.NOT_SUBMITTED, f"inspection {old.id} is still open: edit it instead")
    if not _text(op.payload.get("reason")):
        raise Refused(ErrorCode.REASON_REQUIRED, "a correction needs a reason")
    new = InspectionState(id=op.record_id, task_id=task.id, status=InspectionStatus.IN_PROGRESS,
                          started_at=ctx.now, started_by=ctx.staff_id, place=old.place, flags=[],
                          checklist_id=old.checklist_id, supersedes=old.id, changed=True)
    old.superseded_by, old.changed = new.id, True
    batch.inspections[new.id] = new
    batch.active_inspection[task.id] = new.id
    task.status, task.status_changed = "in_progress", True
    return new, 1, "correct_task", []


_HANDLERS = {"start_task": _start, "answer_item": _answer, "record_finding": _finding, "delete_record": _delete,
             "register_evidence": _evidence, "sign": _sign, "record_party": _party, "submit_task": _submit,
             "correct_task": _correct, "withdraw_evidence": _withdraw}
