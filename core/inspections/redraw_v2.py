"""Replacements under protocol v2: filed with a reason and an announced public value, completed with that value.

Filing takes the next number (the server's, in sequence: the record id is ``<plan>:<n>``, unique) and
announces the next event of the plan's public source; nothing is drawn, so nobody — operator included —
can see a candidate before filing, and the time or way of filing cannot steer it. Completing supplies the
event's value in the announced format after its time; the replacement is then computed from the
commitment, the draw and the replacements before it (docs/draw-spec.md §9) and written with its task
changes in one transaction. One replacement of a plan is pending at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.accounts.models import Viewer
from core.db import is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.inspections import drawing_v2
from core.inspections.announcement import PublicSource, check_value
from core.inspections.drawing_v2 import Clock
from core.inspections.models import Draw, Plan, PlanStatus, Redraw, ReplacementOutcome, Task, TaskStatus
from core.inspections.ports import DrawEngine
from core.inspections.repository import InspectionRepository
from core.inspections.service import PlanService, field_error
from core.registry.repository import EnterpriseRepository


class ReplacementFlow:
    def __init__(self, plans: PlanService, engine: DrawEngine, source: PublicSource, clock: Clock) -> None:
        self.plans = plans
        self.repository: InspectionRepository = plans.repository
        self.engine = engine
        self.source = source
        self.clock = clock

    async def file(self, viewer: Viewer, plan: Plan, original: Draw, task: Task, *, kind: str, reason: str,
                   staff_id: str | None, request_id: str) -> Redraw:
        redraws = await self.repository.redraws(plan.id)
        if any(r.get("public_value") is None for r in redraws):
            raise Conflict(f"replacement {len(redraws)} of plan {plan.id} waits for its public value; complete it "
                           f"first", code=ErrorCode.REDRAW_PENDING)
        if kind == "inspector" and (staff_id is None or staff_id not in task.inspectors):
            raise field_error("staffId", f"{staff_id} is not on the team of {task.credit_code}",
                              ErrorCode.INVALID_VALUE)
        number = len(redraws) + 1
        document = await drawing_v2.load_commitment(self.repository, self.engine, plan)
        # Whether anything can be drawn does not depend on the randomness: refuse now, not after the event.
        probe = self.engine.replace_v2(document, original.seed, redraws, number=number, kind=kind,
                                       target=task.credit_code, staff_id=staff_id, redraw_seed=None)
        if probe.unstaffed == ErrorCode.NO_REPLACEMENT:
            raise Conflict(f"no enterprise of stratum {task.stratum} is left to draw", code=ErrorCode.NO_REPLACEMENT)
        if kind == "inspector" and probe.unstaffed:
            raise Conflict(f"no replacement inspector for {task.credit_code}: {probe.unstaffed}",
                           code=ErrorCode.UNSTAFFABLE)
        now = self.clock()
        record: dict[str, Any] = {
            "_id": f"{plan.id}:{number}", "plan_id": plan.id, "kind": "redraw", "number": number,
            "replaces": original.id, "change": kind, "target": task.credit_code, "staff_id": staff_id,
            "reason": reason, "filed_at": now.isoformat(), "announcement": self.source.announce(now),
            "public_value": None, "completed_at": None, "seed": None, "replacement": None, "team": [],
            "keep": [], "removed": [], "unstaffed": None, "created_by": viewer.username, "created_at": now}
        try:
            await self.repository.file_redraw(record)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            raise Conflict(f"another replacement of plan {plan.id} was filed meanwhile",
                           code=ErrorCode.STALE_VERSION) from exc
        await self.plans.audit.append(actor=viewer.username, action="fileRedraw", target=f"task:{task.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"redraw": record["_id"], "kind": kind, "reason": reason,
                                              "announcement": record["announcement"]})
        return Redraw(record=record, tasks=[task])

    async def complete(self, viewer: Viewer, plan: Plan, original: Draw, *, public_value: str,
                       request_id: str) -> Redraw:
        redraws = await self.repository.redraws(plan.id)
        pending = next((r for r in redraws if r.get("public_value") is None), None)
        if pending is None:
            raise Conflict(f"plan {plan.id} has no replacement waiting for its public value",
                           code=ErrorCode.NOT_FOUND)
        now = self.clock()
        check_value(public_value, pending["announcement"], now)
        number = int(pending["number"])
        pending = {**pending, "_id": f"{plan.id}:{number}"}  # the stored id (reads leave it out)
        seed = self.engine.redraw_seed_v2(original.seed, number, public_value)
        document = await drawing_v2.load_commitment(self.repository, self.engine, plan)
        done = [r for r in redraws if r.get("public_value") is not None]
        outcome = self.engine.replace_v2(document, original.seed, done, number=number, kind=pending["change"],
                                         target=pending["target"], staff_id=pending.get("staff_id"),
                                         redraw_seed=seed)
        result = {"public_value": public_value, "completed_at": now.isoformat(), "seed": seed,
                  "replacement": outcome.replacement, "team": outcome.team, "keep": outcome.keep,
                  "removed": outcome.removed, "unstaffed": outcome.unstaffed, "completed_by": viewer.username}
        tasks = await self.repository.tasks_of_plan(plan.id)
        task = next(t for t in tasks if t.credit_code == pending["target"]
                    and t.status not in (TaskStatus.REPLACED, TaskStatus.CANCELLED))
        changes, new_task = await self._changes(plan, pending, task, outcome, document, now)

        async def store(session: Any) -> None:
            applied = await self.repository.complete_redraw(pending["_id"], result, task_id=task.id,
                                                            task_version=task.version, task_changes=changes,
                                                            new_task=new_task, session=session)
            if not applied:
                raise Conflict(f"replacement {number} of plan {plan.id} was completed meanwhile",
                               code=ErrorCode.STALE_VERSION)

        await self.plans.database.transaction(store)
        await self.plans.audit.append(actor=viewer.username, action="completeRedraw", target=f"task:{task.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"redraw": pending["_id"], "public_value": public_value})
        changed = {pending["target"], outcome.replacement}
        return Redraw(record={**pending, **result}, tasks=[t for t in await self.repository.tasks_of_plan(plan.id)
                                                          if t.credit_code in changed])

    async def _changes(self, plan: Plan, pending: dict[str, Any], task: Task, outcome: ReplacementOutcome,
                       document: dict[str, Any], now: datetime) -> tuple[dict[str, Any], Task | None]:
        if pending["change"] == "inspector":
            if outcome.unstaffed:
                return {}, None
            return {"inspectors": outcome.team, "lead": outcome.team[0], "removed_inspectors": outcome.removed}, None
        chosen = outcome.replacement
        if chosen is None:
            raise RuntimeError(f"object replacement {pending['_id']} drew nothing")
        name = (await EnterpriseRepository(self.plans.database).labels([chosen])).get(chosen, ("", ""))[0]
        division = next(row[2] for row in document["population"]["rows"] if row[0] == chosen)
        team = outcome.team
        new_task = Task(id=f"{pending['_id']}:{chosen}", plan_id=plan.id, draw_id=pending["_id"], credit_code=chosen,
                        enterprise_name=name, jurisdiction=division, stratum=task.stratum, inspectors=team,
                        drawn_inspectors=team, lead=team[0] if team else None,
                        status=TaskStatus.ASSIGNED if team else TaskStatus.UNSTAFFED,
                        unstaffed_reason=outcome.unstaffed, created_at=now)
        return {"status": TaskStatus.REPLACED.value}, new_task


def refuse_unless_drawn(plan: Plan) -> None:
    if plan.draw_id is None:
        raise Conflict(f"plan {plan.id} has not been drawn", code=ErrorCode.PLAN_NOT_DRAWN)
    if plan.status is PlanStatus.CANCELLED:
        raise Conflict(f"plan {plan.id} was cancelled", code=ErrorCode.WRONG_STATUS)
