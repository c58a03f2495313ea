"""What a supervisor reads of an inspection: its answers with their checklist items, its findings, its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.fieldwork.models import Checklist
from core.fieldwork.repository import FieldRepository


@dataclass(frozen=True)
class AnswerDetail:
    record_id: str
    item_id: str
    item_text: str  # the item's text on the checklist version the inspection was filled against
    item_type: str
    unit: str
    value: Any
    passed: bool | None  # None: the item has no pass value
    legal_reference: str
    version: int
    author: str


@dataclass(frozen=True)
class FindingDetail:
    record_id: str
    violation_type: str
    severity: str
    description: str
    legal_basis: str
    version: int
    author: str


@dataclass(frozen=True)
class EvidenceDetail:
    evidence_id: str
    kind: str
    mime_type: str
    file_name: str
    size: int
    sha256: str
    status: str  # pending or complete (a withdrawn file leaves the inspection)


@dataclass(frozen=True)
class InspectionDetails:
    answers: list[AnswerDetail]
    findings: list[FindingDetail]
    evidence: list[EvidenceDetail]


def _answers(inspection: dict[str, Any], heads: dict[str, dict[str, Any]], checklist: Checklist | None
             ) -> list[AnswerDetail]:
    found = []
    order = {item.id: n for n, item in enumerate(checklist.items)} if checklist else {}
    answered = sorted(inspection.get("answers", {}).items(), key=lambda a: (order.get(a[0], len(order)), a[0]))
    for item_id, record_id in answered:  # in the checklist's order
        head = heads.get(record_id)
        if head is None:
            continue
        item = checklist.item(item_id) if checklist else None
        value = head["body"].get("value")
        found.append(AnswerDetail(
            record_id=record_id, item_id=item_id, item_text=item.text if item else item_id,
            item_type=item.type.value if item else "", unit=item.unit if item else "", value=value,
            passed=item.passed(value) if item else None, legal_reference=item.legal_reference if item else "",
            version=int(head["version"]), author=str(head["author"])))
    return found


def _findings(inspection: dict[str, Any], heads: dict[str, dict[str, Any]]) -> list[FindingDetail]:
    found = []
    for record_id in inspection.get("findings", []):
        head = heads.get(record_id)
        if head is None or head["kind"] != "record_finding":
            continue
        body = head["body"]
        found.append(FindingDetail(
            record_id=record_id, violation_type=str(body.get("violation_type", "")),
            severity=str(body.get("severity", "")), description=str(body.get("description", "")),
            legal_basis=str(body.get("legal_basis") or ""), version=int(head["version"]), author=str(head["author"])))
    return found


def _evidence(inspection: dict[str, Any], heads: dict[str, dict[str, Any]]) -> list[EvidenceDetail]:
    found = []
    for evidence_id, status in inspection.get("evidence", {}).items():
        head = heads.get(evidence_id)
        if head is None:
            continue
        body = head["body"]
        found.append(EvidenceDetail(
            evidence_id=evidence_id, kind=str(body.get("kind", "")), mime_type=str(body.get("mime_type", "")),
            file_name=str(body.get("file_name") or ""), size=int(body.get("size") or 0),
            sha256=str(body.get("sha256", "")), status=str(status)))
    return found


async def details_of(repository: FieldRepository, inspection_ids: list[str]) -> dict[str, InspectionDetails]:
    """The details of each inspection, in three reads however many inspections are asked for."""
    inspections = await repository.inspections_by_ids(inspection_ids)
    records = sorted({r for i in inspections.values()
                      for r in [*i.get("answers", {}).values(), *i.get("findings", []), *i.get("evidence", {})]})
    heads = await repository.heads(records) if records else {}
    wanted = sorted({str(i["checklist_id"]) for i in inspections.values() if i.get("checklist_id")})
    checklists = await repository.checklists(wanted) if wanted else {}
    return {inspection_id: InspectionDetails(
        answers=_answers(doc, heads, checklists.get(str(doc.get("checklist_id")))),
        findings=_findings(doc, heads), evidence=_evidence(doc, heads))
        for inspection_id, doc in inspections.items()}
