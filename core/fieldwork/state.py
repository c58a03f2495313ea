"""In-memory state of the tasks and inspections a sync batch touches, and the hash chain of a task.

Every accepted operation becomes one append-only log entry; each entry's hash covers the entry
and the previous hash of the same task, so the records and evidence of a task form one chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        # As BSON keeps it: UTC, milliseconds (a stored entry must hash as it did when written).
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return str(value)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def chain_hash(prev: str, entry: dict[str, Any]) -> str:
    """Hash of one log entry on top of the previous one (the fields in ``CHAINED``)."""
    material = prev + canonical({k: entry.get(k) for k in CHAINED})
    return hashlib.sha256(material.encode()).hexdigest()


CHAINED = ("_id", "task_id", "inspection_id", "record_id", "kind", "version", "body", "author", "staff_id",
           "device_time", "gps_time", "server_time", "place", "flags")


@dataclass
class TaskState:
    id: str
    inspectors: list[str]
    status: str
    jurisdiction: str
    credit_code: str
    enterprise_name: str
    version: int
    location: tuple[float, float] | None = None  # (lat, lon) of the enterprise
    chain_head: str = GENESIS
    chain_length: int = 0
    chain_version: int = 0  # optimistic guard on the chain document
    status_changed: bool = False


@dataclass
class RecordHead:
    """The latest version of an editable record (answer, finding) or of a one-off record."""

    record_id: str
    kind: str
    inspection_id: str
    version: int
    body: dict[str, Any]
    body_hash: str
    author: str
    deleted: bool = False


@dataclass
class InspectionState:
    id: str
    task_id: str
    status: str
    started_at: datetime
    started_by: str
    place: dict[str, Any] | None
    flags: list[str]
    checklist_id: str | None
    supersedes: str | None = None
    superseded_by: str | None = None
    answers: dict[str, str] = field(default_factory=dict)  # item id → answer record id
    findings: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)  # evidence id → upload status
    signatures: dict[str, dict[str, Any]] = field(default_factory=dict)  # staff id → signature
    party: dict[str, Any] | None = None
    submitted_at: datetime | None = None
    version: int = 0  # 0: not stored yet
    changed: bool = False

    def document(self) -> dict[str, Any]:
        return {"_id": self.id, "task_id": self.task_id, "status": self.status, "started_at": self.started_at,
                "started_by": self.started_by, "place": self.place, "flags": self.flags,
                "checklist_id": self.checklist_id, "supersedes": self.supersedes,
                "superseded_by": self.superseded_by, "answers": self.answers, "findings": self.findings,
                "evidence": self.evidence, "signatures": self.signatures, "party": self.party,
                "submitted_at": self.submitted_at, "version": self.version + 1}

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> InspectionState:
        return cls(id=doc["_id"], task_id=doc["task_id"], status=doc["status"], started_at=doc["started_at"],
                   started_by=doc["started_by"], place=doc.get("place"), flags=list(doc.get("flags", [])),
                   checklist_id=doc.get("checklist_id"), supersedes=doc.get("supersedes"),
                   superseded_by=doc.get("superseded_by"), answers=dict(doc.get("answers", {})),
                   findings=list(doc.get("findings", [])), evidence=dict(doc.get("evidence", {})),
                   signatures=dict(doc.get("signatures", {})), party=doc.get("party"),
                   submitted_at=doc.get("submitted_at"), version=int(doc["version"]))


@dataclass
class Batch:
    """Everything one push reads before applying its operations, and what it will write."""

    tasks: dict[str, TaskState]
    inspections: dict[str, InspectionState]
    records: dict[str, RecordHead]
    checklists: dict[str, Any]  # checklist id → Checklist
    active_inspection: dict[str, str]  # task id → its current (not superseded) inspection id
    entries: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    withdrawals: list[str] = field(default_factory=list)  # evidence ids withdrawn (pending → withdrawn)
    events: list[dict[str, Any]] = field(default_factory=list)  # enterprise events (an inspection carried out)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
