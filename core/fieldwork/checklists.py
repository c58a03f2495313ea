"""Checklists per matter, versioned and maintained by supervisors; a new version never edits an old one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.db import Database, is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.fieldwork.models import Checklist, ChecklistItem
from core.fieldwork.repository import FieldRepository
from core.inspections.repository import InspectionRepository
from core.reference import tables
from core.registry.rows import field_errors

# Targeted (non-random) tasks have no plan and so no matter of the item list: their checklists are
# kept under these codes, one per task kind.
TARGETED_MATTERS = {"alert_verification": "TGT-ALERT", "anomaly_verification": "TGT-POWER",
                    "complaint": "TGT-COMPLAINT", "hotspot": "TGT-HOTSPOT"}


def scope_of(latest: Checklist | None) -> str:
    """Where a matter's checklist applies, and so who may version it: the scope of its latest version.

    A matter has one checklist, served to every task of the matter in every city, so a first version
    and one stored before checklists had a scope are province-wide (the root division).
    """
    return latest.jurisdiction if latest and latest.jurisdiction else tables.root_code()


class ChecklistService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = FieldRepository(database)
        self.plans = InspectionRepository(database)

    async def create_version(self, viewer: Viewer, *, matter: str, title: str,
                             items: list[dict[str, Any]]) -> Checklist:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("only supervisors maintain checklists")
        if matter not in TARGETED_MATTERS.values() and not await self.repository.matter_exists(matter):
            raise ValidationFailed([FieldError("matter", f"unknown matter {matter}", ErrorCode.UNKNOWN_MATTER)])
        latest = await self.latest(matter)
        scope = scope_of(latest)
        if not viewer.covers(scope):
            raise PermissionDenied(f"checklist {matter} applies in {scope}; only a supervisor whose jurisdiction "
                                   "covers it may version it", field="matter")
        try:
            parsed = [ChecklistItem.model_validate(item) for item in items]
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, {})) from None
        ids = [item.id for item in parsed]
        if not parsed or len(set(ids)) != len(ids):
            raise ValidationFailed([FieldError("items", "items need distinct ids (at least one item)",
                                               ErrorCode.INVALID_VALUE)])
        if not title.strip():
            raise ValidationFailed([FieldError("title", "a checklist needs a title", ErrorCode.REQUIRED)])
        number = (latest.version if latest else 0) + 1
        checklist = Checklist(id=f"{matter}:v{number}", matter=matter, version=number, title=title.strip(),
                              items=parsed, created_by=viewer.username or "", created_at=datetime.now(UTC),
                              jurisdiction=scope)
        try:
            await self.repository.insert_checklist(checklist)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            raise Conflict(f"checklist {matter} changed meanwhile", code=ErrorCode.STALE_VERSION,
                           field="matter") from None
        return checklist

    async def latest(self, matter: str) -> Checklist | None:
        return (await self.latest_of([matter])).get(matter)

    async def latest_of(self, matters: list[str]) -> dict[str, Checklist]:
        found: dict[str, Checklist] = {}
        for checklist in await self.repository.checklists_of(matters):
            current = found.get(checklist.matter)
            if current is None or checklist.version > current.version:
                found[checklist.matter] = checklist
        return found

    async def latest_of_plans(self, plan_ids: list[str]) -> dict[str, Checklist | None]:
        """The latest checklist of each plan's first matter, by plan id (a batch read for loaders; callers
        resolved the plans within the viewer's scope)."""
        plans = await self.plans.plans_by_ids([plan_id for plan_id in plan_ids if plan_id])
        latest = await self.latest_of(sorted({plan.matters[0] for plan in plans.values()}))
        return {plan_id: latest.get(plan.matters[0]) for plan_id, plan in plans.items()}

    async def get(self, checklist_id: str) -> Checklist:
        found = (await self.repository.checklists([checklist_id])).get(checklist_id)
        if found is None:
            raise NotFound(f"checklist {checklist_id} not found", field="checklistId")
        return found
