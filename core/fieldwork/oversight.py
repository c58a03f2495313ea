"""The supervisor's view of field work: progress, sync conflicts to resolve, evidence still uploading."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from core.fieldwork.details import InspectionDetails, details_of
from core.fieldwork.repository import FieldRepository
from core.inspections.access import readable_task

RESOLUTIONS = ("accept", "discard")


def _require(viewer: Viewer) -> None:
    if not viewer.has_any(SUPERVISORS):
        raise PermissionDenied("field oversight is for supervisors and administrators")


def _scope(viewer: Viewer) -> list[str]:
    return list(viewer.jurisdictions)


class Oversight:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = FieldRepository(database)

    async def progress(self, viewer: Viewer, *, plan_id: str | None = None, origin: str | None = None
                       ) -> dict[str, Any]:
        """Tasks by status for a plan (or a targeted origin such as alert:<id>) within the viewer's scope."""
        _require(viewer)
        statuses = await self.repository.task_statuses(_scope(viewer), plan_id=plan_id, origin=origin)
        counts = dict(Counter(statuses.values()))
        ids = list(statuses)
        inspections = await self.repository.current_inspections(ids)
        return {"total": sum(counts.values()), "by_status": counts,
                "awaiting_evidence": sum(1 for i in inspections.values() if i["status"] == "awaiting_evidence"),
                "open_conflicts": await self.repository.open_conflict_count(ids),
                "pending_evidence": await self.repository.pending_evidence_count(ids)}

    async def conflicts(self, viewer: Viewer) -> list[dict[str, Any]]:
        _require(viewer)
        return await self.repository.conflicts(await self.repository.task_ids_in(_scope(viewer)))

    async def conflict(self, viewer: Viewer, conflict_id: str) -> dict[str, Any]:
        """One sync conflict, open or resolved, for supervisors over its task."""
        conflict = await self.repository.conflict(conflict_id)
        if (conflict is None or not viewer.has_any(SUPERVISORS)
                or not await self.repository.task_in_scope(conflict["task_id"], _scope(viewer))):
            raise NotFound(f"conflict {conflict_id} not found", field="conflictId")
        return conflict

    async def inspection(self, viewer: Viewer, inspection_id: str) -> dict[str, Any]:
        """One on-site inspection (current or superseded), for those who may read its task's field records."""
        found = await self.repository.inspection(inspection_id)
        if found is None:
            raise NotFound(f"inspection {inspection_id} not found", field="inspectionId")
        await readable_task(self.database, viewer, found["task_id"])
        return found

    async def pending_evidence(self, viewer: Viewer) -> list[dict[str, Any]]:
        _require(viewer)
        return await self.repository.pending_evidence(await self.repository.task_ids_in(_scope(viewer)))

    async def resolve(self, viewer: Viewer, conflict_id: str, *, resolution: str, note: str) -> None:
        """Record the supervisor's decision; an accepted value is re-sent by the device as a new edit."""
        _require(viewer)
        if resolution not in RESOLUTIONS:
            raise ValidationFailed([FieldError("resolution", "resolution must be accept or discard",
                                               ErrorCode.INVALID_VALUE)])
        conflict = await self.repository.conflict(conflict_id)
        in_scope = conflict is not None and await self.repository.task_in_scope(conflict["task_id"], _scope(viewer))
        if not in_scope or conflict is None or conflict["status"] != "open":
            raise NotFound(f"open conflict {conflict_id} not found", field="conflictId")
        done = await self.repository.resolve_conflict(
            conflict_id, {"resolution": resolution, "note": note, "by": viewer.username}, datetime.now(UTC))
        if not done:
            raise NotFound(f"open conflict {conflict_id} not found", field="conflictId")

    async def details(self, inspection_ids: list[str]) -> dict[str, InspectionDetails]:
        """Answers with their checklist items, findings and evidence of each inspection (a batch read for loaders;
        the caller has checked the viewer may read the inspections)."""
        return await details_of(self.repository, inspection_ids)

    async def current_inspections(self, task_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The current (not superseded) on-site inspection of each task (a batch read for loaders)."""
        return await self.repository.current_inspections(task_ids)
