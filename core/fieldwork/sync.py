"""Offline sync: ``push`` applies a device's operations exactly once, ``pull`` pages what changed.

Idempotency is enforced by unique indexes, never by check-then-insert: an op id is the ``_id`` of
its ``sync_ops`` entry and a record's first version is unique on (record id, version). Each op is
screened first (``screening``): a bad one is REJECTED alone, with its code. The rest of a push, with
the rejection records, is written in one transaction or not at all. Pushes that touch the same task
take turns (``contention``); if a concurrent push (another process) still wins a race, the
transaction fails on a guard, and the push is read and applied again after a random pause — now
finding the ops processed (REPLAYED). A push that cannot settle within its budget answers
``SYNC_BUSY``, with nothing written.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from core.accounts.models import Viewer
from core.config import Settings
from core.db import Database, commit_unknown, lost_race
from core.error_codes import ErrorCode
from core.errors import FieldError, PermissionDenied, ValidationFailed
from core.evidence.upload import limits_from
from core.fieldwork import contention, screening
from core.fieldwork import ops as apply_ops
from core.fieldwork.models import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    InspectionStatus,
    OnSubmitted,
    OpResult,
    OpStatus,
    Submission,
    SyncOp,
)
from core.fieldwork.repository import FieldRepository, RetryBatch
from core.fieldwork.state import GENESIS, Batch, InspectionState, RecordHead, TaskState, body_hash
from core.inspections.access import CLOSED_TO_FIELD
from core.jsonsafe import sanitise_for_output

log = logging.getLogger(__name__)
BUSY_BUDGET_S = 10.0  # waiting for the task's turn plus every retry; well below a client's HTTP timeout
RETRY_AFTER_S = 1
CHINA_OFFSET = timedelta(hours=8)  # an inspection's day is the calendar day in China
# Shared by every SyncService of the process: the pushes of a task queue here instead of aborting
# each other's transactions, and commits (which all take the one sequence counter) go one at a time.
TASK_TURNS = contention.KeyedLocks()
COMMIT_TURN = contention.KeyedLocks()


def op_hash(raw: dict[str, Any]) -> str:
    return body_hash({k: v for k, v in raw.items() if k != "op_id"})


def _check_device_now(device_now: datetime) -> None:
    if device_now.tzinfo is None:
        raise ValidationFailed([FieldError("deviceNow", "deviceNow needs a UTC offset", ErrorCode.INVALID_TIMESTAMP)])
    if not EARLIEST_YEAR <= device_now.year <= LATEST_YEAR:
        raise ValidationFailed([FieldError("deviceNow", f"deviceNow must fall within the years {EARLIEST_YEAR}-"
                                                        f"{LATEST_YEAR}", ErrorCode.INVALID_TIMESTAMP)])


class SyncService:
    def __init__(self, database: Database, settings: Settings, *, busy_budget_s: float = BUSY_BUDGET_S,
                 on_submitted: OnSubmitted | None = None) -> None:
        """``on_submitted``: told of each signed-off submission once it is stored (the task's result)."""
        self.database = database
        self.settings = settings
        self.repository = FieldRepository(database)
        self.on_submitted = on_submitted
        self.busy_budget_s = busy_budget_s

    async def push(self, viewer: Viewer, raw_ops: list[Any], *, device_now: datetime) -> list[OpResult]:
        """One result per op, in order: APPLIED, REPLAYED, CONFLICT or REJECTED (with a code).

        Raises ``SyncBusy`` (code SYNC_BUSY, retryable, nothing written) when the push cannot settle.
        """
        if viewer.inspector_id is None:
            raise PermissionDenied("only an account linked to an inspector syncs field work",
                                   code=ErrorCode.NOT_AN_INSPECTOR)
        if len(raw_ops) > self.settings.sync_max_ops:
            raise ValidationFailed([FieldError("ops", f"at most {self.settings.sync_max_ops} ops per push",
                                               ErrorCode.TOO_MANY_OPS)])
        _check_device_now(device_now)
        screened = [screening.screen(raw) for raw in raw_ops]
        tasks = sorted({s.task_id for s in screened if isinstance(s, SyncOp)})
        deadline = asyncio.get_running_loop().time() + self.busy_budget_s
        try:
            async with TASK_TURNS.hold(tasks, deadline=deadline):
                return await self._settle(viewer, raw_ops, screened, device_now, deadline)
        except contention.TurnTimeout:  # only waiting for the turn times out; a write in flight is never cut off
            raise contention.SyncBusy(f"task {', '.join(tasks[:3])}", RETRY_AFTER_S) from None

    async def _settle(self, viewer: Viewer, raw_ops: list[Any], screened: list[SyncOp | OpResult],
                      device_now: datetime, deadline: float) -> list[OpResult]:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                return await self._attempt(viewer, raw_ops, screened, device_now)
            except RetryBatch as exc:
                reason = str(exc)
            except Exception as exc:
                # Another push got there first (a unique index or a transaction conflict), or the commit's
                # fate is unknown: the ops are idempotent, so a commit that did land reads back as REPLAYED.
                if not (lost_race(exc) or commit_unknown(exc)):
                    raise
                reason = str(getattr(exc, "code", type(exc).__name__))
            attempt += 1
            pause = contention.pause(attempt)
            if loop.time() + pause > deadline:
                log.warning("sync push busy", extra={"attempts": attempt, "reason": reason})
                raise contention.SyncBusy("the push", RETRY_AFTER_S)
            log.info("sync push retried", extra={"attempt": attempt, "reason": reason})
            await asyncio.sleep(pause)

    async def _attempt(self, viewer: Viewer, raw_ops: list[Any], screened: list[SyncOp | OpResult],
                       device_now: datetime) -> list[OpResult]:
        now = datetime.now(UTC)
        results: list[OpResult | None] = [s if isinstance(s, OpResult) else None for s in screened]
        parsed = {index: s for index, s in enumerate(screened) if isinstance(s, SyncOp)}
        rejections = [self._rejection(viewer, raw_ops[i], r, now) for i, r in enumerate(results) if r is not None]
        processed = await self.repository.processed([op.op_id for op in parsed.values()])
        for index, op in list(parsed.items()):
            stored = processed.get(op.op_id)
            if stored is not None:
                results[index] = self._replayed(stored, raw_ops[index])
                del parsed[index]
        batch = await self._load(viewer, list(parsed.values()))
        ctx = await self._context(viewer, now, device_now)
        op_docs = []
        seen: dict[str, str] = {}
        for index, op in parsed.items():
            digest = op_hash(raw_ops[index])
            if op.op_id in seen:  # the same op twice in one push
                same = seen[op.op_id] == digest
                results[index] = OpResult(op_id=op.op_id, status=OpStatus.REPLAYED if same else OpStatus.REJECTED,
                                          code=None if same else ErrorCode.ID_CONFLICT, record_id=op.record_id)
                continue
            seen[op.op_id] = digest
            result = self._apply_one(batch, op, ctx, viewer)
            results[index] = result
            if result.status in (OpStatus.APPLIED, OpStatus.CONFLICT):
                op_docs.append({"_id": op.op_id, "hash": digest, "task_id": op.task_id, "at": now,
                                "result": result.model_dump()})
            elif result.status is OpStatus.REJECTED:
                rejections.append(self._rejection(viewer, raw_ops[index], result, now))
        await self._commit(batch, op_docs, rejections)
        await self._submitted(batch)
        seqs = {e["_id"]: e["seq"] for e in batch.entries}
        return [r.model_copy(update={"seq": seqs.get(r.op_id)}) if r.status is OpStatus.APPLIED else r
                for r in results if r is not None]

    @staticmethod
    def _rejection(viewer: Viewer, raw: Any, result: OpResult, now: datetime) -> dict[str, Any]:
        """What a device sent and was refused, in a form that can always be stored."""
        task_id = raw.get("task_id") if isinstance(raw, dict) else None
        return {"op_id": result.op_id, "task_id": screening.storable(task_id), "by": viewer.username,
                "code": result.code, "message": result.message, "op": screening.storable(raw), "at": now}

    @staticmethod
    def _replayed(stored: dict[str, Any], raw: dict[str, Any]) -> OpResult:
        if stored["hash"] != op_hash(raw):
            return OpResult(op_id=stored["_id"], status=OpStatus.REJECTED, code=ErrorCode.ID_CONFLICT,
                            message=f"op {stored['_id']} was processed with a different payload")
        previous = OpResult.model_validate(stored["result"])
        status = OpStatus.REPLAYED if previous.status is OpStatus.APPLIED else previous.status
        return previous.model_copy(update={"status": status})

    def _apply_one(self, batch: Batch, op: SyncOp, ctx: apply_ops.OpContext, viewer: Viewer) -> OpResult:
        try:
            entry = apply_ops.apply(batch, op, ctx)
        except apply_ops.Replayed as replay:
            return OpResult(op_id=op.op_id, status=OpStatus.REPLAYED, record_id=op.record_id,
                            version=replay.head.version)
        except apply_ops.Conflicted as conflict:
            batch.conflicts.append({"_id": str(uuid.uuid4()), "op_id": op.op_id, "task_id": op.task_id,
                                    "record_id": op.record_id, "code": conflict.code, "message": conflict.message,
                                    "op": op.model_dump(mode="json"), "by": viewer.username, "status": "open",
                                    "at": ctx.now})
            return OpResult(op_id=op.op_id, status=OpStatus.CONFLICT, code=conflict.code, message=conflict.message,
                            record_id=op.record_id)
        except apply_ops.Refused as refused:
            return OpResult(op_id=op.op_id, status=OpStatus.REJECTED, code=refused.code, message=refused.message,
                            record_id=op.record_id)
        return OpResult(op_id=op.op_id, status=OpStatus.APPLIED, record_id=op.record_id, version=entry["version"])

    async def _load(self, viewer: Viewer, ops: list[SyncOp]) -> Batch:
        task_ids = sorted({op.task_id for op in ops})
        docs = [d for d in await self.repository.tasks(task_ids)
                if viewer.inspector_id in d.get("inspectors", []) and d["status"] not in CLOSED_TO_FIELD]
        chains = await self.repository.chains([d["_id"] for d in docs])
        locations = await self.repository.locations([d["credit_code"] for d in docs])
        tasks = {}
        for d in docs:
            chain = chains.get(d["_id"], {})
            tasks[d["_id"]] = TaskState(
                id=d["_id"], inspectors=d["inspectors"], status=d["status"], jurisdiction=d["jurisdiction"],
                credit_code=d["credit_code"], enterprise_name=d["enterprise_name"], version=d["version"],
                location=locations.get(d["credit_code"]), chain_head=chain.get("head", GENESIS),
                chain_length=chain.get("length", 0), chain_version=chain.get("version", 0))
        inspections = {d["_id"]: InspectionState.from_document(d)
                       for d in await self.repository.inspections_of(list(tasks))}
        await self._settle_uploads(inspections)
        active = {i.task_id: i.id for i in inspections.values() if i.superseded_by is None}
        referenced = {str(op.payload["signature_evidence_id"]) for op in ops if op.payload.get("signature_evidence_id")}
        heads = await self.repository.heads(sorted({op.record_id for op in ops} | referenced))
        records = {r: RecordHead(r, h["kind"], h["inspection_id"], h["version"], h["body"], h["body_hash"],
                                 h["author"], deleted=h["kind"] == "delete_record") for r, h in heads.items()}
        wanted = {i.checklist_id for i in inspections.values() if i.checklist_id}
        wanted |= {str(op.payload["checklist_id"]) for op in ops if op.payload.get("checklist_id")}
        return Batch(tasks=tasks, inspections=inspections, records=records, active_inspection=active,
                     checklists=await self.repository.checklists(sorted(wanted)))

    async def _submitted(self, batch: Batch) -> None:
        """Hand each stored submission to ``on_submitted``; a failure is logged (the result can be recorded by
        hand) and never undoes the push."""
        if self.on_submitted is None:
            return
        for entry in (e for e in batch.entries if e["kind"] == "submit_task"):
            inspection = batch.inspections[entry["inspection_id"]]
            heads = await self.repository.heads(inspection.findings)
            findings = [heads[f]["body"] for f in inspection.findings
                        if f in heads and heads[f]["kind"] == "record_finding"]
            submission = Submission(task_id=entry["task_id"], inspection_id=inspection.id,
                                    inspected_on=(inspection.started_at + CHINA_OFFSET).date(),
                                    findings=findings, submitted_by=str(entry["author"]))
            try:
                await self.on_submitted(submission)
            except Exception:
                log.exception("recording the result of a submission failed", extra={"task_id": submission.task_id})

    async def _settle_uploads(self, inspections: dict[str, InspectionState]) -> None:
        """Uploads that completed without their completion hook running (a crash) are caught up here."""
        pending = [e for i in inspections.values() for e, state in i.evidence.items() if state != "complete"]
        if not pending:
            return
        done = {e for e, state in (await self.repository.evidence_states(pending)).items() if state == "complete"}
        for inspection in inspections.values():
            for evidence_id in set(inspection.evidence) & done:
                if inspection.evidence[evidence_id] != "complete":
                    inspection.evidence[evidence_id], inspection.changed = "complete", True
            if inspection.status == InspectionStatus.AWAITING_EVIDENCE and all(
                    s == "complete" for s in inspection.evidence.values()):
                inspection.status, inspection.changed = InspectionStatus.SUBMITTED, True

    async def _context(self, viewer: Viewer, now: datetime, device_now: datetime) -> apply_ops.OpContext:
        staff_id = viewer.inspector_id or ""
        inspector = await self.repository.inspector(staff_id) or {}
        expires = inspector.get("certificate_expires", "0000-00-00")
        return apply_ops.OpContext(
            staff_id=staff_id, username=viewer.username or "", now=now, skew=device_now - now,
            certificate_number=str(inspector.get("certificate_number", "")),
            certificate_expires=expires.isoformat() if hasattr(expires, "isoformat") else str(expires),
            max_skew=timedelta(seconds=self.settings.field_max_clock_skew_s),
            max_distance_m=self.settings.field_max_start_distance_m,
            max_accuracy_m=self.settings.field_max_accuracy_m, limits=limits_from(self.settings))

    async def _commit(self, batch: Batch, op_docs: list[dict[str, Any]], rejections: list[dict[str, Any]]) -> None:
        if not op_docs:
            await self.repository.reject(rejections)
            return
        touched = {e["task_id"] for e in batch.entries}
        async with COMMIT_TURN.hold(["commit"]), self.database.start_session() as session, \
                await session.start_transaction():
            await self.repository.commit(
                ops=op_docs, entries=batch.entries,
                inspections=[(i.document(), i.version) for i in batch.inspections.values() if i.changed],
                chains=[(t.id, t.chain_head, t.chain_length, t.chain_version) for t in batch.tasks.values()
                        if t.id in touched],
                tasks=[(t.id, t.version, t.status) for t in batch.tasks.values() if t.status_changed],
                registrations=batch.registrations, withdrawals=batch.withdrawals, events=batch.events,
                conflicts=batch.conflicts,
                rejections=rejections, session=session)

    async def pull(self, viewer: Viewer, *, since: int, first: int) -> dict[str, Any]:
        """Changes (and tombstones) of the viewer's tasks after ``since``, and tasks to purge."""
        if viewer.inspector_id is None:
            raise PermissionDenied("only an account linked to an inspector syncs field work",
                                   code=ErrorCode.NOT_AN_INSPECTOR)
        if not 1 <= first <= 500:
            raise ValidationFailed([FieldError("first", "first must be within [1, 500]", ErrorCode.INVALID_PAGE_SIZE)])
        staff = viewer.inspector_id
        mine = await self.repository.tasks_of_inspector(staff)
        active = [t["_id"] for t in mine if staff in t.get("inspectors", []) and t["status"] not in CLOSED_TO_FIELD]
        purge = sorted(t["_id"] for t in mine if t["_id"] not in active)
        entries = await self.repository.changes(active, since, first + 1) if active else []
        more = len(entries) > first
        # A value stored before pushes were screened (NaN) must not fail the page for everyone.
        entries = [sanitise_for_output(e) for e in entries[:first]]
        return {"changes": entries, "purge": purge, "next_since": entries[-1]["seq"] if entries else since,
                "has_more": more, "tasks": active}


__all__ = ["InspectionStatus", "SyncService"]
