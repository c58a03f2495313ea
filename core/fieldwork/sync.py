"""Offline sync: ``push`` applies a device's operations exactly once, ``pull`` pages what changed.

Idempotency is enforced by unique indexes, never by check-then-insert: an op id is the ``_id`` of
its ``sync_ops`` entry and a record's first version is unique on (record id, version). A push is
one transaction; if a concurrent push wins a race, the transaction fails on one of those guards,
and the push is read and applied again — now finding the ops processed (REPLAYED).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from pymongo.errors import BulkWriteError, OperationFailure

from core.accounts.models import Viewer
from core.config import Settings
from core.db import Database
from core.errors import FieldError, PermissionDenied, ValidationFailed
from core.evidence import media
from core.fieldwork import ops as apply_ops
from core.fieldwork.access import CLOSED_TO_FIELD
from core.fieldwork.models import InspectionStatus, OpResult, OpStatus, SyncOp
from core.fieldwork.repository import FieldRepository, RetryBatch
from core.fieldwork.state import GENESIS, Batch, InspectionState, RecordHead, TaskState, body_hash

log = logging.getLogger(__name__)
ATTEMPTS = 8
DUPLICATE_KEY = 11000


def _limits(settings: Settings) -> media.EvidenceLimits:
    mib = 1024 * 1024
    return media.EvidenceLimits(photo=settings.evidence_max_photo_mb * mib, video=settings.evidence_max_video_mb * mib,
                                audio=settings.evidence_max_audio_mb * mib,
                                document=settings.evidence_max_document_mb * mib)


def _lost_race(exc: OperationFailure) -> bool:
    """A concurrent push got there first: a unique index or a transaction conflict refused our write."""
    if exc.has_error_label("TransientTransactionError") or exc.code == DUPLICATE_KEY:
        return True
    if isinstance(exc, BulkWriteError):
        return any(e.get("code") == DUPLICATE_KEY for e in exc.details.get("writeErrors", []))
    return False


def op_hash(raw: dict[str, Any]) -> str:
    return body_hash({k: v for k, v in raw.items() if k != "op_id"})


class SyncService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.repository = FieldRepository(database)

    async def push(self, viewer: Viewer, raw_ops: list[dict[str, Any]], *, device_now: datetime) -> list[OpResult]:
        """One result per op, in order: APPLIED, REPLAYED, CONFLICT or REJECTED (with a code)."""
        if viewer.inspector_id is None:
            raise PermissionDenied("only an account linked to an inspector syncs field work",
                                   code="NOT_AN_INSPECTOR")
        if len(raw_ops) > self.settings.sync_max_ops:
            raise ValidationFailed([FieldError("ops", f"at most {self.settings.sync_max_ops} ops per push",
                                               "TOO_MANY_OPS")])
        if device_now.tzinfo is None:
            raise ValidationFailed([FieldError("deviceNow", "deviceNow needs a UTC offset", "INVALID_TIMESTAMP")])
        for attempt in range(ATTEMPTS):
            try:
                return await self._attempt(viewer, raw_ops, device_now)
            except RetryBatch as exc:
                log.info("sync push retried", extra={"attempt": attempt + 1, "reason": str(exc)})
            except OperationFailure as exc:
                if not _lost_race(exc):
                    raise
                log.info("sync push retried", extra={"attempt": attempt + 1, "reason": exc.code})
        raise RetryBatch(f"push did not settle after {ATTEMPTS} attempts")

    async def _attempt(self, viewer: Viewer, raw_ops: list[dict[str, Any]], device_now: datetime) -> list[OpResult]:
        now = datetime.now(UTC)
        parsed, results = self._parse(raw_ops)
        processed = await self.repository.processed([op.op_id for op in parsed.values()])
        for index, op in list(parsed.items()):
            stored = processed.get(op.op_id)
            if stored is not None:
                results[index] = self._replayed(stored, raw_ops[index])
                del parsed[index]
        batch = await self._load(viewer, list(parsed.values()))
        ctx = await self._context(viewer, now, device_now)
        op_docs, rejections = [], []
        seen: dict[str, str] = {}
        for index, op in parsed.items():
            digest = op_hash(raw_ops[index])
            if op.op_id in seen:  # the same op twice in one push
                same = seen[op.op_id] == digest
                results[index] = OpResult(op_id=op.op_id, status=OpStatus.REPLAYED if same else OpStatus.REJECTED,
                                          code=None if same else "ID_CONFLICT", record_id=op.record_id)
                continue
            seen[op.op_id] = digest
            result = self._apply_one(batch, op, ctx, viewer)
            results[index] = result
            if result.status in (OpStatus.APPLIED, OpStatus.CONFLICT):
                op_docs.append({"_id": op.op_id, "hash": digest, "task_id": op.task_id, "at": now,
                                "result": result.model_dump()})
            elif result.status is OpStatus.REJECTED:
                rejections.append({"op_id": op.op_id, "task_id": op.task_id, "by": viewer.username,
                                   "code": result.code, "message": result.message, "op": raw_ops[index], "at": now})
        await self._commit(batch, op_docs)
        await self.repository.reject(rejections)
        seqs = {e["_id"]: e["seq"] for e in batch.entries}
        return [r.model_copy(update={"seq": seqs.get(r.op_id)}) if r.status is OpStatus.APPLIED else r
                for r in results if r is not None]

    def _parse(self, raw_ops: list[dict[str, Any]]) -> tuple[dict[int, SyncOp], list[OpResult | None]]:
        parsed: dict[int, SyncOp] = {}
        results: list[OpResult | None] = [None] * len(raw_ops)
        for index, raw in enumerate(raw_ops):
            try:
                parsed[index] = SyncOp.model_validate(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                code = "INVALID_COORDINATES" if where.startswith("place") else "MALFORMED_OP"
                results[index] = OpResult(op_id=str(raw.get("op_id", "")), status=OpStatus.REJECTED, code=code,
                                          message=f"{where}: {first['msg']}")
        return parsed, results

    @staticmethod
    def _replayed(stored: dict[str, Any], raw: dict[str, Any]) -> OpResult:
        if stored["hash"] != op_hash(raw):
            return OpResult(op_id=stored["_id"], status=OpStatus.REJECTED, code="ID_CONFLICT",
                            message=f"op {stored['_id']} was processed with a different payload")
        previous = OpResult.model_validate(stored["result"])
        status = OpStatus.REPLAYED if previous.status is OpStatus.APPLIED else previous.status
        return previous.model_copy(update={"status": status})

    def _apply_one(self, batch: Batch, op: SyncOp, ctx: apply_ops.Context, viewer: Viewer) -> OpResult:
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

    async def _context(self, viewer: Viewer, now: datetime, device_now: datetime) -> apply_ops.Context:
        staff_id = viewer.inspector_id or ""
        inspector = await self.repository.inspector(staff_id) or {}
        expires = inspector.get("certificate_expires", "0000-00-00")
        return apply_ops.Context(
            staff_id=staff_id, username=viewer.username or "", now=now, skew=device_now - now,
            certificate_number=str(inspector.get("certificate_number", "")),
            certificate_expires=expires.isoformat() if hasattr(expires, "isoformat") else str(expires),
            max_skew=timedelta(seconds=self.settings.field_max_clock_skew_s),
            max_distance_m=self.settings.field_max_start_distance_m,
            max_accuracy_m=self.settings.field_max_accuracy_m, limits=_limits(self.settings))

    async def _commit(self, batch: Batch, op_docs: list[dict[str, Any]]) -> int:
        if not op_docs:
            return 0
        touched = {e["task_id"] for e in batch.entries}
        async with self.database.start_session() as session, await session.start_transaction():
            return await self.repository.commit(
                ops=op_docs, entries=batch.entries,
                inspections=[(i.document(), i.version) for i in batch.inspections.values() if i.changed],
                chains=[(t.id, t.chain_head, t.chain_length, t.chain_version) for t in batch.tasks.values()
                        if t.id in touched],
                tasks=[(t.id, t.version, t.status) for t in batch.tasks.values() if t.status_changed],
                registrations=batch.registrations, events=batch.events, conflicts=batch.conflicts,
                session=session)

    async def pull(self, viewer: Viewer, *, since: int, first: int) -> dict[str, Any]:
        """Changes (and tombstones) of the viewer's tasks after ``since``, and tasks to purge."""
        if viewer.inspector_id is None:
            raise PermissionDenied("only an account linked to an inspector syncs field work",
                                   code="NOT_AN_INSPECTOR")
        if not 1 <= first <= 500:
            raise ValidationFailed([FieldError("first", "first must be within [1, 500]", "INVALID_PAGE_SIZE")])
        staff = viewer.inspector_id
        mine = await self.repository.tasks_of_inspector(staff)
        active = [t["_id"] for t in mine if staff in t.get("inspectors", []) and t["status"] not in CLOSED_TO_FIELD]
        purge = sorted(t["_id"] for t in mine if t["_id"] not in active)
        entries = await self.repository.changes(active, since, first + 1) if active else []
        more = len(entries) > first
        entries = entries[:first]
        return {"changes": entries, "purge": purge, "next_since": entries[-1]["seq"] if entries else since,
                "has_more": more, "tasks": active}


__all__ = ["InspectionStatus", "SyncService"]
