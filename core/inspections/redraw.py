"""Replacements: a new, logged, verifiable draw for one task of a drawn plan (an inspector, or the object).

Protocol v2 plans file a replacement and complete it with its announced public value (``file``,
``complete``: redraw_v2.py); ``redraw`` is protocol v1's one-step replacement, for plans drawn under v1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from core.accounts.models import Viewer
from core.config import Settings
from core.db import is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.inspections.announcement import PublicSource
from core.inspections.drawing_v2 import Clock
from core.inspections.models import Draw, Plan, PlanStatus, Redraw, Task, TaskStatus
from core.inspections.ports import Candidate, DrawEngine
from core.inspections.redraw_v2 import ReplacementFlow, refuse_unless_drawn
from core.inspections.service import PlanService, field_error, require_supervisor
from core.reference import tables
from core.registry.repository import EnterpriseRepository

Changes = tuple[dict[str, Any], Task | None]
"""What a replacement does to the task, and the new task of an object replacement."""


class RedrawService:
    """Replace one task's inspector or object with a new, logged, verifiable draw; the draw is never edited."""

    def __init__(self, plans: PlanService, engine: DrawEngine, *, source: PublicSource | None = None,
                 clock: Clock | None = None) -> None:
        self.plans = plans
        self.repository = plans.repository
        self.engine = engine
        self.flow = ReplacementFlow(plans, engine, source or PublicSource.from_settings(Settings()),
                                    clock or (lambda: datetime.now(UTC)))

    async def _active(self, viewer: Viewer, plan_id: str, credit_code: str, reason: str
                      ) -> tuple[Plan, Draw, Task]:
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if not reason.strip():
            raise field_error("reason", "a replacement needs a reason", ErrorCode.REASON_REQUIRED)
        refuse_unless_drawn(plan)
        original = await self.repository.get_draw(plan.draw_id or "")
        task = next((t for t in await self.repository.tasks_of_plan(plan.id) if t.credit_code == credit_code
                     and t.status not in (TaskStatus.REPLACED, TaskStatus.CANCELLED)), None)
        if original is None or task is None:
            raise field_error("creditCode", f"no active task for {credit_code} in plan {plan_id}", ErrorCode.NOT_FOUND)
        return plan, original, task

    async def file(self, viewer: Viewer, plan_id: str, *, credit_code: str, kind: str, reason: str,
                   staff_id: str | None = None, request_id: str) -> Redraw:
        """Protocol v2: file replacement n (the server's next number) with its reason and announced public value."""
        if kind not in ("inspector", "object"):
            raise field_error("kind", "kind must be inspector or object", ErrorCode.INVALID_VALUE)
        if len(reason) > 2000:
            raise field_error("reason", "reason is limited to 2000 characters", ErrorCode.INVALID_VALUE)
        plan, original, task = await self._active(viewer, plan_id, credit_code, reason)
        if original.protocol < 2:
            raise Conflict(f"plan {plan_id} was drawn under protocol 1: use redraw", code=ErrorCode.WRONG_STATUS)
        return await self.flow.file(viewer, plan, original, task, kind=kind, reason=reason.strip(),
                                    staff_id=staff_id, request_id=request_id)

    async def complete(self, viewer: Viewer, plan_id: str, *, public_value: str, request_id: str) -> Redraw:
        """Protocol v2: complete the plan's filed replacement with the value its filing announced."""
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        refuse_unless_drawn(plan)
        original = await self.repository.get_draw(plan.draw_id or "")
        if original is None or original.protocol < 2:
            raise Conflict(f"plan {plan_id} was drawn under protocol 1: use redraw", code=ErrorCode.WRONG_STATUS)
        return await self.flow.complete(viewer, plan, original, public_value=public_value, request_id=request_id)

    async def redraw(self, viewer: Viewer, plan_id: str, *, credit_code: str, kind: str, reason: str,
                     staff_id: str | None = None, request_id: str) -> Redraw:
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if not reason.strip():
            raise field_error("reason", "a replacement needs a reason", ErrorCode.REASON_REQUIRED)
        if plan.draw_id is None:
            raise Conflict(f"plan {plan_id} has not been drawn", code=ErrorCode.PLAN_NOT_DRAWN)
        if plan.status is PlanStatus.CANCELLED:
            raise Conflict(f"plan {plan_id} was cancelled", code=ErrorCode.WRONG_STATUS)
        original = await self.repository.get_draw(plan.draw_id)
        if original is not None and original.protocol >= 2:
            raise Conflict(f"plan {plan_id} was drawn under protocol 2: a replacement is filed (fileRedraw) and "
                           f"completed with its announced public value (completeRedraw)", code=ErrorCode.WRONG_STATUS)
        tasks = await self.repository.tasks_of_plan(plan.id)
        task = next((t for t in tasks if t.credit_code == credit_code
                     and t.status not in (TaskStatus.REPLACED, TaskStatus.CANCELLED)), None)
        if original is None or task is None:
            raise field_error("creditCode", f"no active task for {credit_code} in plan {plan_id}", ErrorCode.NOT_FOUND)
        # The server numbers replacements in sequence; two at once collide on the record id (STALE_VERSION below).
        number = len(await self.repository.redraws(plan.id)) + 1
        seed = self.engine.redraw_seed(original.seed, number)
        pool = self.engine.candidates(await self.repository.snapshot(original.id))
        loads: dict[str, int] = defaultdict(int)
        for other in tasks:
            if other.status is not TaskStatus.REPLACED:
                for member in other.inspectors:
                    loads[member] += 1
        record: dict[str, Any] = {"_id": f"{plan.id}:{number}", "plan_id": plan.id, "kind": "redraw",
                                  "number": number, "replaces": original.id, "reason": reason.strip(),
                                  "target": credit_code, "change": kind, "seed": seed,
                                  "inspection_date": original.inspection_date.isoformat(),
                                  "team_size": original.team_size, "loads": dict(sorted(loads.items())),
                                  "created_by": viewer.username, "created_at": datetime.now(UTC)}
        if kind == "inspector":
            changes, new_task = self._inspector(task, staff_id, pool, loads, seed, original, record)
        elif kind == "object":
            changes, new_task = await self._object(plan, task, tasks, pool, loads, seed, original, record)
        else:
            raise field_error("kind", "kind must be inspector or object", ErrorCode.INVALID_VALUE)
        await self._store(plan_id, task, record, changes, new_task)
        await self.plans.audit.append(actor=viewer.username, action="redraw", target=f"task:{task.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"redraw": record["_id"], "kind": kind, "reason": reason})
        changed = {record["target"], record.get("replacement")}
        return Redraw(record=record, tasks=[t for t in await self.repository.tasks_of_plan(plan.id)
                                            if t.credit_code in changed])

    async def _store(self, plan_id: str, task: Task, record: dict[str, Any], changes: dict[str, Any],
                     new_task: Task | None) -> None:
        async def store(session: Any) -> None:
            applied = await self.repository.apply_redraw(record, task_id=task.id, task_version=task.version,
                                                         task_changes=changes, new_task=new_task, session=session)
            if not applied:
                raise Conflict(f"task {task.id} changed meanwhile", code=ErrorCode.STALE_VERSION)

        try:
            await self.plans.database.transaction(store)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            raise Conflict(f"another replacement of plan {plan_id} happened meanwhile",
                           code=ErrorCode.STALE_VERSION) from exc

    def _inspector(self, task: Task, staff_id: str | None, pool: Sequence[Candidate], loads: dict[str, int],
                   seed: str, original: Draw, record: dict[str, Any]) -> Changes:
        if staff_id is None or staff_id not in task.inspectors:
            raise field_error("staffId", f"{staff_id} is not on the team of {task.credit_code}",
                              ErrorCode.INVALID_VALUE)
        keep = [s for s in task.inspectors if s != staff_id]
        removed = sorted({*task.removed_inspectors, staff_id})
        path = tuple(tables.ancestors(task.jurisdiction))
        result = self.engine.replace_inspectors((task.credit_code, path), pool, keep=keep, removed=removed,
                                                loads=loads, seed=seed, on=original.inspection_date,
                                                team_size=original.team_size)
        if result.reason_unstaffed:
            raise Conflict(f"no replacement inspector: {result.reason_unstaffed}", code=ErrorCode.UNSTAFFABLE)
        record.update({"keep": keep, "removed": removed, "team": result.team, "jurisdiction_path": list(path)})
        return {"inspectors": result.team, "lead": result.team[0], "removed_inspectors": removed}, None

    async def _object(self, plan: Plan, task: Task, tasks: list[Task], pool: Sequence[Candidate],
                      loads: dict[str, int], seed: str, original: Draw, record: dict[str, Any]) -> Changes:
        rows = await self.repository.population(plan.id)
        drawn = {t.credit_code for t in tasks}
        chosen = self.engine.replace_object(rows, stratum=task.stratum, already_drawn=drawn, seed=seed)
        if chosen is None:
            raise Conflict(f"no enterprise of stratum {task.stratum} is left to draw", code=ErrorCode.NO_REPLACEMENT)
        name, jurisdiction = (await EnterpriseRepository(self.plans.database).labels([chosen]))[chosen]
        path = tuple(tables.ancestors(jurisdiction))
        for member in task.inspectors:
            loads[member] -= 1  # the replaced task's team is freed
        result = self.engine.replace_inspectors((chosen, path), pool, keep=[], removed=[], loads=loads, seed=seed,
                                                on=original.inspection_date, team_size=original.team_size)
        record.update({"stratum": task.stratum, "already_drawn": sorted(drawn), "replacement": chosen,
                       "team": result.team, "unstaffed": result.reason_unstaffed, "loads": dict(sorted(loads.items())),
                       "jurisdiction_path": list(path)})
        new_task = Task(id=f"{record['_id']}:{chosen}", plan_id=plan.id, draw_id=record["_id"], credit_code=chosen,
                        enterprise_name=name, jurisdiction=jurisdiction,
                        stratum=task.stratum, inspectors=result.team, drawn_inspectors=result.team,
                        lead=result.team[0] if result.team else None,
                        status=TaskStatus.ASSIGNED if result.team else TaskStatus.UNSTAFFED,
                        unstaffed_reason=result.reason_unstaffed, created_at=datetime.now(UTC))
        return {"status": TaskStatus.REPLACED.value}, new_task
