"""Thin GraphQL types for field work."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.fieldwork import loaders
from api.graphql.relay import Node, to_global_id
from core.fieldwork import details, models


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def plain(value: Any) -> Any:
    """JSON-safe copy; dates and times as ISO 8601."""
    return json.loads(json.dumps(value, default=_iso)) if value is not None else None


@strawberry.type
class ChecklistItem:
    item_id: str
    text: str
    type: str = strawberry.field(description="yes_no, number, text or choice")
    unit: str
    choices: list[str]
    required: bool
    legal_reference: str
    failed_severity: str
    pass_value: JSON | None


@strawberry.type(description="One version of a matter's checklist (检查表).")
class Checklist(Node):
    checklist_id: str
    matter: str
    version: int
    title: str
    items: list[ChecklistItem]
    created_by: str
    created_at: datetime

    @classmethod
    def from_domain(cls, c: models.Checklist) -> Checklist:
        return cls(id=to_global_id("Checklist", c.id),
                   checklist_id=c.id, matter=c.matter, version=c.version, title=c.title, created_by=c.created_by,
                   created_at=c.created_at, items=[
                       ChecklistItem(item_id=i.id, text=i.text, type=i.type.value, unit=i.unit, choices=i.choices,
                                     required=i.required, legal_reference=i.legal_reference,
                                     failed_severity=i.failed_severity.value, pass_value=i.pass_value)
                       for i in c.items])


@strawberry.type(description="The outcome of one sync operation.")
class OpResult:
    op_id: str
    status: str = strawberry.field(description="APPLIED, REPLAYED, CONFLICT or REJECTED")
    code: str | None
    message: str | None
    record_id: str | None
    version: int | None
    seq: int | None

    @classmethod
    def from_domain(cls, r: models.OpResult) -> OpResult:
        return cls(op_id=r.op_id, status=r.status.value, code=r.code, message=r.message, record_id=r.record_id,
                   version=r.version, seq=r.seq)


@strawberry.type(description="One change of a field record (a tombstone when kind is delete_record).")
class FieldChange:
    seq: int
    task_id: str
    inspection_id: str
    record_id: str
    kind: str
    version: int
    body: JSON
    author: str
    device_time: datetime
    server_time: datetime
    flags: list[str]
    deleted: bool

    @classmethod
    def from_entry(cls, e: dict[str, Any]) -> FieldChange:
        return cls(seq=e["seq"], task_id=e["task_id"], inspection_id=e["inspection_id"], record_id=e["record_id"],
                   kind=e["kind"], version=e["version"], body=plain(e["body"]), author=e["author"],
                   device_time=e["device_time"], server_time=e["server_time"], flags=e.get("flags", []),
                   deleted=e["kind"] == "delete_record")


@strawberry.type
class SyncPage:
    changes: list[FieldChange]
    purge: list[str] = strawberry.field(description="Task ids whose records must leave the device")
    next_since: int
    has_more: bool


@strawberry.type(description="An answer with its checklist item: what was asked, the value given, its unit.")
class ItemAnswer:
    record_id: str
    item_id: str
    item_text: str
    item_type: str = strawberry.field(description="yes_no, number, text or choice")
    unit: str
    value: JSON | None
    passed: bool | None = strawberry.field(description="Against the item's pass value; null when it has none")
    legal_reference: str
    version: int
    author: str

    @classmethod
    def from_domain(cls, a: details.AnswerDetail) -> ItemAnswer:
        return cls(record_id=a.record_id, item_id=a.item_id, item_text=a.item_text, item_type=a.item_type,
                   unit=a.unit, value=plain(a.value), passed=a.passed, legal_reference=a.legal_reference,
                   version=a.version, author=a.author)


@strawberry.type(description="A finding recorded on site.")
class FindingRecord:
    record_id: str
    violation_type: str
    severity: str = strawberry.field(description="minor, general or serious")
    description: str
    legal_basis: str
    version: int
    author: str

    @classmethod
    def from_domain(cls, f: details.FindingDetail) -> FindingRecord:
        return cls(record_id=f.record_id, violation_type=f.violation_type, severity=f.severity,
                   description=f.description, legal_basis=f.legal_basis, version=f.version, author=f.author)


@strawberry.type(description="An evidence file of an inspection, as registered, with its upload status.")
class EvidenceFile:
    evidence_id: str
    kind: str
    mime_type: str
    file_name: str
    size: int
    sha256: str
    status: str = strawberry.field(description="pending or complete")

    @classmethod
    def from_domain(cls, e: details.EvidenceDetail) -> EvidenceFile:
        return cls(evidence_id=e.evidence_id, kind=e.kind, mime_type=e.mime_type, file_name=e.file_name, size=e.size,
                   sha256=e.sha256, status=e.status)


async def _details(info: strawberry.Info, inspection_id: str) -> details.InspectionDetails:
    found = await loaders.details_by_inspection(info.context).load(inspection_id)
    return found or details.InspectionDetails(answers=[], findings=[], evidence=[])


@strawberry.type(description="The current state of an on-site inspection of a task.")
class Inspection(Node):
    inspection_id: str
    status: str = strawberry.field(description="in_progress, awaiting_evidence or submitted")
    started_at: datetime
    started_by: str
    place: JSON | None
    flags: list[str]
    checklist_id: str | None
    supersedes: str | None
    superseded_by: str | None
    answers: JSON
    findings: list[str]
    evidence: JSON = strawberry.field(description="evidence id → upload status")
    signatures: JSON
    party: JSON | None
    submitted_at: datetime | None

    @strawberry.field(description="The answers with their checklist items (text, type, unit), values and whether "
                                  "they pass, in the checklist's order")
    async def item_answers(self, info: strawberry.Info) -> list[ItemAnswer]:
        return [ItemAnswer.from_domain(a) for a in (await _details(info, self.inspection_id)).answers]

    @strawberry.field(description="The findings with their content")
    async def finding_records(self, info: strawberry.Info) -> list[FindingRecord]:
        return [FindingRecord.from_domain(f) for f in (await _details(info, self.inspection_id)).findings]

    @strawberry.field(description="The evidence files with kind, name, size, SHA-256 and upload status")
    async def evidence_files(self, info: strawberry.Info) -> list[EvidenceFile]:
        return [EvidenceFile.from_domain(e) for e in (await _details(info, self.inspection_id)).evidence]

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> Inspection:
        return cls(id=to_global_id("Inspection", d["_id"]),
                   inspection_id=d["_id"], status=d["status"], started_at=d["started_at"],
                   started_by=d["started_by"], place=plain(d.get("place")), flags=d.get("flags", []),
                   checklist_id=d.get("checklist_id"), supersedes=d.get("supersedes"),
                   superseded_by=d.get("superseded_by"), answers=plain(d.get("answers", {})),
                   findings=d.get("findings", []), evidence=plain(d.get("evidence", {})),
                   signatures=plain(d.get("signatures", {})), party=plain(d.get("party")),
                   submitted_at=d.get("submitted_at"))


@strawberry.type(description="A sync operation kept for a supervisor to resolve.")
class SyncConflict(Node):
    conflict_id: str
    task_id: str
    record_id: str
    code: str
    message: str
    op: JSON
    by: str
    status: str
    at: datetime

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> SyncConflict:
        return cls(id=to_global_id("SyncConflict", d["_id"]),
                   conflict_id=d["_id"], task_id=d["task_id"], record_id=d["record_id"], code=d["code"],
                   message=d["message"], op=plain(d["op"]), by=d["by"], status=d["status"], at=d["at"])


@strawberry.type(description="Task progress of a plan or of a targeted origin, for supervisors.")
class FieldProgress:
    total: int
    by_status: JSON
    awaiting_evidence: int
    open_conflicts: int
    pending_evidence: int
