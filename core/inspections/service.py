"""Plan operations: create, edit while draft, read, list tasks; scoped to the viewer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.audit.repository import AuditRepository
from core.db import Database
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.inspections.models import Draw, Plan, PlanSettings, PlanStatus, Task
from core.inspections.repository import InspectionRepository
from core.reference import tables
from core.registry.rows import field_errors


def require_supervisor(viewer: Viewer, jurisdiction: str) -> None:
    if not viewer.has_any(SUPERVISORS):
        raise PermissionDenied("only supervisors plan random checks")
    if not viewer.covers(jurisdiction):
        raise PermissionDenied(f"jurisdiction {jurisdiction} is outside your scope")


def parse_settings(data: dict[str, Any]) -> PlanSettings:
    try:
        return PlanSettings.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None


class PlanService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = InspectionRepository(database)
        self.audit = AuditRepository(database)

    async def create(self, viewer: Viewer, data: dict[str, Any], *, request_id: str) -> Plan:
        settings = parse_settings(data)
        require_supervisor(viewer, settings.jurisdiction)
        plan = Plan(**settings.model_dump(), id=str(uuid.uuid4()), created_by=viewer.username or "",
                    created_at=datetime.now(UTC))
        await self.repository.insert_plan(plan)
        await self.audit.append(actor=viewer.username, action="createPlan", target=f"plan:{plan.id}",
                                request_id=request_id, outcome="ok")
        return plan

    async def get(self, viewer: Viewer, plan_id: str) -> Plan:
        plan = await self.repository.get_plan(plan_id)
        if plan is None or not (viewer.has_any(SUPERVISORS) and viewer.covers(plan.jurisdiction)):
            raise NotFound(f"plan {plan_id} not found", field="planId")
        return plan

    async def update(self, viewer: Viewer, plan_id: str, *, version: int, data: dict[str, Any],
                     request_id: str) -> Plan:
        plan = await self.get(viewer, plan_id)
        if plan.status is not PlanStatus.DRAFT:
            raise Conflict(f"plan {plan_id} is {plan.status.value}; only a draft can change", code="PLAN_NOT_DRAFT")
        merged = parse_settings({**PlanSettings.model_validate(plan.model_dump(
            include=set(PlanSettings.model_fields))).model_dump(), **data})
        require_supervisor(viewer, merged.jurisdiction)
        updated = await self.repository.update_plan(
            plan_id, expect={"version": version, "status": PlanStatus.DRAFT.value},
            changes=merged.model_dump(mode="json"))
        if updated is None:
            raise Conflict(f"plan {plan_id} changed meanwhile (you sent version {version})", code="STALE_VERSION",
                           field="version")
        await self.audit.append(actor=viewer.username, action="updatePlan", target=f"plan:{plan_id}",
                                request_id=request_id, outcome="ok", detail={"fields": sorted(data)})
        return updated

    async def list(self, viewer: Viewer) -> list[Plan]:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("plans are for supervisors; published plans are public")
        scopes = {code for code in tables.divisions() if viewer.covers(code)}
        return await self.repository.list_plans(sorted(scopes))

    async def published(self) -> list[Plan]:
        return await self.repository.list_plans(None, published_only=True)

    async def draw_of(self, viewer: Viewer, plan_id: str) -> Draw | None:
        plan = await self.get(viewer, plan_id)
        return await self.repository.get_draw(plan.draw_id) if plan.draw_id else None

    async def published_draw(self, plan_id: str) -> tuple[Draw, list[Task]] | None:
        """A draw anyone may see: only once a supervisor has published it."""
        plan = await self.repository.get_plan(plan_id)
        if plan is None or plan.draw_id is None:
            return None
        draw = await self.repository.get_draw(plan.draw_id)
        if draw is None or not draw.published:
            return None
        return draw, await self.repository.tasks_of_draw(draw.id)

    async def tasks_of(self, viewer: Viewer, plan_id: str) -> list[Task]:
        plan = await self.get(viewer, plan_id)
        return await self.repository.tasks_of_plan(plan.id)

    async def task(self, viewer: Viewer, task_id: str) -> Task:
        """A task, for supervisors of its jurisdiction and for its own inspectors."""
        task = await self.repository.get_task(task_id)
        allowed = task is not None and (
            (viewer.has_any(SUPERVISORS) and viewer.covers(task.jurisdiction))
            or (viewer.inspector_id is not None and viewer.inspector_id in task.inspectors))
        if task is None or not allowed:
            raise NotFound(f"task {task_id} not found", field="taskId")
        return task

    async def my_tasks(self, viewer: Viewer, *, limit: int = 100, statuses: list[str] | None = None,
                       since: date | None = None) -> list[Task]:
        if viewer.inspector_id is None:
            raise PermissionDenied("only an account linked to an inspector has tasks", code="NOT_AN_INSPECTOR")
        query: dict[str, Any] = {"inspectors": viewer.inspector_id}
        if statuses:
            query["status"] = {"$in": statuses}
        if since is not None:
            query["created_at"] = {"$gte": datetime.combine(since, time.min, tzinfo=UTC)}
        return await self.repository.tasks_for(query, limit=limit)

    async def results_of(self, codes: list[str]) -> dict[str, list[Task]]:
        """Each enterprise's latest tasks with a recorded result (a batch read for loaders)."""
        return await self.repository.results_of(codes)

    async def plans_by_ids(self, plan_ids: list[str]) -> dict[str, Plan]:
        """Plans by id (a batch read for loaders; callers resolved them within the viewer's scope)."""
        return await self.repository.plans_by_ids(plan_ids)


def field_error(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message, code)])
