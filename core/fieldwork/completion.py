"""When an evidence upload completes: the inspection's evidence list, and AWAITING_EVIDENCE → SUBMITTED."""

from __future__ import annotations

from typing import Any

from core.db import Database
from core.fieldwork.models import InspectionStatus
from core.fieldwork.repository import FieldRepository


async def evidence_completed(database: Database, evidence: Any) -> str | None:
    """Mark the evidence complete on its inspection; returns the inspection's status afterwards.

    Guarded by the inspection's version and retried, so a concurrent sync push is never overwritten.
    """
    repository = FieldRepository(database)
    for _ in range(10):
        inspection = await repository.inspection(str(evidence.inspection_id))
        if inspection is None or str(evidence.id) not in inspection.get("evidence", {}):
            return None  # withdrawn meanwhile: its inspection no longer waits for it
        states = {**inspection.get("evidence", {}), str(evidence.id): "complete"}
        status = inspection["status"]
        if status == InspectionStatus.AWAITING_EVIDENCE and all(s == "complete" for s in states.values()):
            status = InspectionStatus.SUBMITTED.value
        if await repository.set_evidence_states(inspection["_id"], int(inspection["version"]), states, status):
            return str(status)
    raise RuntimeError(f"inspection {evidence.inspection_id} kept changing while evidence completed")
