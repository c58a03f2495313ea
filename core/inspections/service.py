"""Plan operations: create, edit while draft, read, list tasks, templates, public views; scoped to the viewer.

The draw lifecycle that follows (freeze, draw, publish) is ``drawing.py``; replacements ``redraw.py``;
results and their publication ``results.py``; targeted tasks ``targeted.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.audit.repository import AuditRepository
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.inspections import law, publication
from core.inspections.models import Draw, Plan, PlanSettings, PlanStatus, PlanTemplate, Task
from core.inspections.publication import PublicDraw, PublicPlan
from core.inspections.repository import InspectionRepository, TemplateRepository
from core.reference import tables
from core.registry.repository import MatterRepository
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
        self.templates = TemplateRepository(database)
        self.matters = MatterRepository(database)

    async def _check_matters(self, matters: list[str]) -> None:
        """A plan checks matters of the random-check item list; targeted-task codes (TGT-*) are not on it."""
        unknown = await self.matters.missing(matters)
        if unknown:
            raise field_error("matters", f"not on the matter list: {', '.join(unknown)}", ErrorCode.UNKNOWN_MATTER)

    async def create(self, viewer: Viewer, data: dict[str, Any], *, request_id: str) -> Plan:
        settings = parse_settings(data)
        require_supervisor(viewer, settings.jurisdiction)
        await self.check_minimums(settings)
        await self._check_matters(settings.matters)
        plan = Plan(**settings.model_dump(), id=str(uuid.uuid4()), created_by=viewer.username or "",
                    created_at=datetime.now(UTC))
        await self.repository.insert_plan(plan)
        await self.audit.append(actor=viewer.username, action="createPlan", target=f"plan:{plan.id}",
                                request_id=request_id, outcome="ok")
        return plan

    async def check_minimums(self, settings: PlanSettings) -> None:
        """A plan's own ratios at or above the minimums in force on its start (a policy's are checked at freeze)."""
        if settings.ratio_source == "plan":
            law.check_minimums({c.value: r for c, r in settings.ratios.items()},
                               await law.in_force(self.database, settings.period_start))

    async def get(self, viewer: Viewer, plan_id: str) -> Plan:
        plan = await self.repository.get_plan(plan_id)
        if plan is None or not (viewer.has_any(SUPERVISORS) and viewer.covers(plan.jurisdiction)):
            raise NotFound(f"plan {plan_id} not found", field="planId")
        return plan

    async def update(self, viewer: Viewer, plan_id: str, *, version: int, data: dict[str, Any],
                     request_id: str) -> Plan:
        plan = await self.get(viewer, plan_id)
        if plan.status is not PlanStatus.DRAFT:
            raise Conflict(f"plan {plan_id} is {plan.status.value}; only a draft can change",
                           code=ErrorCode.PLAN_NOT_DRAFT)
        merged = parse_settings({**PlanSettings.model_validate(plan.model_dump(
            include=set(PlanSettings.model_fields))).model_dump(), **data})
        require_supervisor(viewer, merged.jurisdiction)
        await self.check_minimums(merged)
        if "matters" in data:
            await self._check_matters(merged.matters)
        updated = await self.repository.update_plan(
            plan_id, expect={"version": version, "status": PlanStatus.DRAFT.value},
            changes=merged.model_dump(mode="json"))
        if updated is None:
            raise Conflict(f"plan {plan_id} changed meanwhile (you sent version {version})",
                           code=ErrorCode.STALE_VERSION, field="version")
        await self.audit.append(actor=viewer.username, action="updatePlan", target=f"plan:{plan_id}",
                                request_id=request_id, outcome="ok", detail={"fields": sorted(data)})
        return updated

    async def list_plans(self, viewer: Viewer) -> list[Plan]:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("plans are for supervisors; published plans are public")
        scopes = {code for code in tables.divisions() if viewer.covers(code)}
        return await self.repository.list_plans(sorted(scopes))

    async def published(self) -> list[Plan]:
        return await self.repository.list_plans(None, published_only=True)

    async def draw_of(self, viewer: Viewer, plan_id: str) -> Draw | None:
        plan = await self.get(viewer, plan_id)
        return await self.repository.get_draw(plan.draw_id) if plan.draw_id else None

    async def draw(self, viewer: Viewer, draw_id: str) -> Draw:
        """A draw (original or replacement): for supervisors of its plan's jurisdiction, for anyone once published."""
        draw = await self.repository.get_draw(draw_id)
        plan = await self.repository.get_plan(draw.plan_id) if draw else None
        if draw is None or plan is None or not (
                draw.published or (viewer.has_any(SUPERVISORS) and viewer.covers(plan.jurisdiction))):
            raise NotFound(f"draw {draw_id} not found", field="drawId")
        return draw

    async def public_plan(self, plan_id: str) -> PublicPlan | None:
        """A public plan (frozen or later, cancelled included) for its page: its draw once published, its results."""
        plan = await self.repository.get_plan(plan_id)
        if plan is None or plan.published_at is None:
            return None
        return PublicPlan(plan=plan, draw=await self._public_draw(plan),
                          results=await self.repository.published_results(plan_id))

    async def public_commitment(self, plan_id: str) -> bytes | None:
        """The canonical bytes of a public plan's commitment document (protocol v2; from the freeze on)."""
        plan = await self.repository.get_plan(plan_id)
        if plan is None or plan.published_at is None or plan.protocol < 2:
            return None
        return await self.repository.commitment(plan_id)

    async def search_published(self, q: str) -> tuple[list[Plan], list[dict[str, str]]]:
        """The public index: published plans whose name or jurisdiction contains ``q`` (case-insensitive) or
        whose published draw holds an enterprise (drawn, replaced or a replacement) whose name or credit code
        does, with those enterprises and their status; every published plan and no hits when ``q`` is empty."""
        q = q.strip().lower()
        plans = await self.published()
        if not q:
            return plans, []
        hits: list[dict[str, str]] = []
        for plan in plans:
            found = await self.published_draw(plan.id)
            hits += [{"plan_id": plan.id, "plan": plan.name, "name": item.enterprise_name, "code": item.credit_code,
                      "status": item.status} for item in (found.objects if found else ())
                     if q in item.enterprise_name.lower() or q in item.credit_code.lower()]
        with_hits = {hit["plan_id"] for hit in hits}
        return [p for p in plans if q in p.name.lower() or q in p.jurisdiction.lower() or p.id in with_hits], hits

    async def published_draw(self, plan_id: str) -> PublicDraw | None:
        """A draw anyone may see, with its objects and replacements: only once a supervisor has published it."""
        plan = await self.repository.get_plan(plan_id)
        return await self._public_draw(plan) if plan is not None else None

    async def _public_draw(self, plan: Plan) -> PublicDraw | None:
        draw = await self.repository.get_draw(plan.draw_id) if plan.draw_id else None
        if draw is None or not draw.published:
            return None
        return publication.public_draw(plan, draw, await self.repository.tasks_of_plan(plan.id),
                                       await self.repository.redraws(plan.id))

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
            raise PermissionDenied("only an account linked to an inspector has tasks", code=ErrorCode.NOT_AN_INSPECTOR)
        start = datetime.combine(since, time.min, tzinfo=UTC) if since is not None else None
        return await self.repository.tasks_of_inspector(viewer.inspector_id, statuses=statuses, since=start,
                                                        limit=limit)

    async def results_of(self, codes: list[str]) -> dict[str, list[Task]]:
        """Each enterprise's latest tasks with a recorded result (a batch read for loaders)."""
        return await self.repository.results_of(codes)

    async def add_template(self, settings: dict[str, Any], cadence: str) -> str:
        """A template the scheduler turns into a draft plan each period; ValueError if it never could be one."""
        if cadence not in ("quarterly", "half_yearly", "yearly"):
            raise ValueError("cadence must be quarterly, half_yearly or yearly")
        sample = {**settings, "period_start": date(2000, 1, 1), "period_end": date(2000, 3, 31)}
        parsed = PlanSettings.model_validate(sample)  # refuse a template that could never make a valid plan
        unknown = await self.matters.missing(list(settings.get("matters") or []))
        if unknown:
            raise ValueError(f"not on the matter list: {', '.join(unknown)}")
        if parsed.ratio_source == "plan":
            try:  # nor one below today's minimum ratios
                law.check_minimums({c.value: r for c, r in parsed.ratios.items()},
                                   await law.in_force(self.database, datetime.now(UTC).date()))
            except ValidationFailed as exc:
                raise ValueError(str(exc)) from None
        stored = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in settings.items()}
        template = PlanTemplate.model_validate({"id": str(uuid.uuid4()), "cadence": cadence, "settings": stored})
        await self.templates.insert(template)
        return template.id


def field_error(field: str, message: str, code: ErrorCode) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message, code)])
