"""The on-site record (现场检查记录) of a task, assembled from the structured field data for printing."""

from __future__ import annotations

from typing import Any

from core.accounts.models import Viewer
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.fieldwork import record_pdf as pdf
from core.fieldwork.chain import ChainReport, verify_task
from core.fieldwork.repository import FieldRepository
from core.inspections.access import readable_task
from core.inspections.models import Task
from core.reference import tables

VIOLATION_LABELS = {"exceed_standard": "超标排放", "evade_supervision": "逃避监管排放", "no_permit": "无证排污",
                    "hazardous_waste_dumping": "非法倾倒危险废物", "fugitive_emission": "无组织排放",
                    "monitoring_not_connected": "自动监测未联网"}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}


def _answer_text(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


async def onsite_record(database: Database, task: Task) -> pdf.OnsiteRecord:
    """The record of the task's current inspection; it must have been started."""
    repository = FieldRepository(database)
    inspection = (await repository.current_inspections([task.id])).get(task.id)
    if inspection is None:
        raise Conflict(f"task {task.id} has no on-site inspection yet", code=ErrorCode.NOT_STARTED, field="taskId")
    latest: dict[str, dict[str, Any]] = {}
    async for entry in repository.log_of(task.id):
        if entry["inspection_id"] == inspection["_id"]:
            latest[entry["record_id"]] = entry
    enterprise = await repository.enterprise(task.credit_code) or {}
    checklist = (await repository.checklists([inspection["checklist_id"]])).get(inspection["checklist_id"] or "")
    staff = await repository.inspectors(task.inspectors)
    answers = []
    for item_id, record_id in inspection.get("answers", {}).items():
        item = checklist.item(item_id) if checklist else None
        value = latest[record_id]["body"].get("value")
        answers.append(pdf.ChecklistAnswer(item=item.text if item else item_id, answer=_answer_text(value),
                                           passed=item.passed(value) if item else None,
                                           legal_reference=item.legal_reference if item else ""))
    findings = [pdf.Finding(violation_type=VIOLATION_LABELS.get(b["violation_type"], b["violation_type"]),
                            severity=SEVERITY_LABELS.get(b["severity"], b["severity"]), description=b["description"],
                            legal_basis=str(b.get("legal_basis", "")))
                for b in (latest[r]["body"] for r in inspection.get("findings", []))]
    evidence = []
    for evidence_id, status in inspection.get("evidence", {}).items():
        body = latest[evidence_id]["body"]
        evidence.append(pdf.EvidenceItem(kind=str(body["kind"]), file_name=str(body.get("file_name") or evidence_id),
                                         sha256=str(body["sha256"]), captured_at=latest[evidence_id]["device_time"],
                                         uploaded=status == "complete"))
    signatures = [pdf.Signature(role="inspector", name=str(staff.get(s, {}).get("name", s)), signed_at=sig["signed_at"])
                  for s, sig in inspection.get("signatures", {}).items()]
    party = inspection.get("party")
    if party:
        signatures.append(pdf.Signature(role="party", name=party["name"], signed_at=party.get("recorded_at"),
                                        refused=party["refused"], refusal_reason=party.get("reason", "")))
    place = inspection.get("place")
    chain = await repository.chain(task.id) or {}
    division = tables.divisions().get(task.jurisdiction)
    return pdf.OnsiteRecord(
        task_id=task.id, enterprise_name=task.enterprise_name, credit_code=task.credit_code,
        address=str(enterprise.get("address") or ""), jurisdiction_name=division.name if division else "",
        matter=checklist.title if checklist else task.kind, started_at=inspection["started_at"],
        submitted_at=inspection.get("submitted_at") or inspection["started_at"],
        place=pdf.GeoPoint(lat=place["lat"], lon=place["lon"], accuracy_m=place.get("accuracy_m")) if place else None,
        chain_head=str(chain.get("head", "0" * 64)),
        inspectors=tuple(pdf.Inspector(name=str(staff.get(s, {}).get("name", s)),
                                       certificate_no=str(staff.get(s, {}).get("certificate_number", "")))
                         for s in task.inspectors),
        checklist_title=checklist.title if checklist else "", checklist_version=checklist.id if checklist else "",
        answers=tuple(answers), findings=tuple(findings), evidence=tuple(evidence), signatures=tuple(signatures),
        flags=tuple(inspection.get("flags", [])))


class OnsiteRecordService:
    """The on-site record of a task, for its inspectors and the supervisors over its jurisdiction."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, viewer: Viewer, task_id: str) -> pdf.OnsiteRecord:
        """NOT_FOUND for a task the viewer may not read; NOT_STARTED before its inspection began."""
        task = await readable_task(self.database, viewer, task_id)
        return await onsite_record(self.database, task)

    async def verify_chain(self, task_id: str) -> ChainReport:
        """Re-walk the task's record log: every hash link, the stored chain head, every evidence file.

        For operators (``ecoinspect verify-task``), who run it on the database itself: no viewer.
        """
        return await verify_task(self.database, task_id)
