"""The draw of a plan: freeze (population + commitment), draw (objects, then inspectors), publish, cancel, document.

Each step writes all or nothing in one transaction, guarded by the plan's status, so two
concurrent draws of one plan produce one draw. The arithmetic is the injected ``DrawEngine``.
A frozen plan ends drawn and published, or cancelled by a recorded, reasoned act; while it is
open (frozen or drawn, its draw unpublished), no twin of it (same jurisdiction, a shared matter,
an overlapping period) can be frozen, so no one can draw twice and publish the draw they prefer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from core.accounts.models import Viewer
from core.config import Settings
from core.db import lost_race
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.inspections import classes, drawing_v2, law, population, publication
from core.inspections.announcement import PublicSource
from core.inspections.drawing_v2 import Clock
from core.inspections.models import Draw, DrawnPlan, Plan, PlanStatus, Task, TaskStatus
from core.inspections.ports import ClassifierFactory, DrawEngine, Staffing
from core.inspections.service import PlanService, field_error, require_supervisor
from core.reference import tables
from core.registry.repository import EnterpriseRepository


class DrawService:
    def __init__(self, plans: PlanService, engine: DrawEngine, *,
                 policy_classifier: ClassifierFactory | None = None, source: PublicSource | None = None,
                 clock: Clock | None = None) -> None:
        self.plans = plans
        self.source = source or PublicSource.from_settings(Settings())
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.database = plans.database
        self.repository = plans.repository
        self.engine = engine
        self.policy_classifier = policy_classifier

    async def _classifier(self, plan: Plan) -> classes.Classifier:
        if self.policy_classifier is not None:  # the class always comes from the policy in force
            return await self.policy_classifier(plan)
        if plan.ratio_source == "policy":
            raise field_error("ratioSource", "no policy engine is configured", ErrorCode.NO_POLICY)
        return classes.plan_classifier(plan, plan.period_start)

    async def freeze(self, viewer: Viewer, plan_id: str, *, request_id: str, draw_number: str | None = None,
                     inspection_date: date | None = None) -> Plan:
        """Commit everything the draw will use and announce its public value (protocol v2), in one write."""
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if plan.status is not PlanStatus.DRAFT:
            raise Conflict(f"plan {plan_id} is already {plan.status.value}", code=ErrorCode.PLAN_NOT_DRAFT)
        if draw_number is not None and not 0 < len(draw_number.strip()) <= 40:
            raise field_error("drawNumber", "drawNumber is 1 to 40 characters", ErrorCode.INVALID_VALUE)
        await self._refuse_twins(plan)  # before the population is built: refusing costs nothing then
        await self.plans.check_minimums(plan)  # again: the policy may have changed since the plan was written
        bounds = await law.in_force(self.database, plan.period_start)
        secret = self.engine.new_secret()
        now = self.clock()
        commitment, changes = await drawing_v2.commit(
            self.repository, self.engine, self.source, plan, await self._classifier(plan), now=now, secret=secret,
            draw_number=draw_number.strip() if draw_number else None, inspection_date=inspection_date, bounds=bounds)
        changes.update({"status": PlanStatus.FROZEN.value, "frozen_at": now, "published_at": now})

        async def store(session: Any) -> Plan:
            await self.repository.claim_freezes(plan.jurisdiction, session=session)
            await self._refuse_twins(plan, session=session)
            await self.repository.save_commitment(plan.id, commitment.canonical, session=session)
            await self.repository.save_secret(plan.id, secret, session=session)
            frozen = await self.repository.update_plan(plan.id, expect={"status": PlanStatus.DRAFT.value,
                                                                        "version": plan.version},
                                                       changes=changes, session=session)
            if frozen is None:
                raise Conflict(f"plan {plan_id} changed while freezing", code=ErrorCode.STALE_VERSION)
            return frozen

        frozen = await self.database.transaction(store)
        await self.plans.audit.append(actor=viewer.username, action="freezePlan", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"population": changes["population_size"],
                                              "commitment": changes["commitment"],
                                              "announcement": changes["announcement"]})
        return frozen

    async def _refuse_twins(self, plan: Plan, *, session: Any = None) -> None:
        """Refuse to freeze ``plan`` while an open plan overlaps it (``OVERLAPPING_PLAN``)."""
        for other in await self.repository.overlapping_plans(plan, session=session):
            draw = await self.repository.get_draw(other.draw_id, session=session) if other.draw_id else None
            if draw is None or not draw.published:
                raise Conflict(
                    f"plan {other.id} ({other.name}) of jurisdiction {other.jurisdiction} shares a matter and an "
                    f"overlapping period with plan {plan.id} and is {other.status.value} with its draw unpublished; "
                    f"publish its draw or cancel it first", code=ErrorCode.OVERLAPPING_PLAN, field="planId")

    async def draw(self, viewer: Viewer, plan_id: str, *, public_value: str = "", request_id: str,
                   inspection_date: date | None = None) -> DrawnPlan:
        """Draw the objects, then the inspectors, and create the tasks — once per plan."""
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if plan.status is not PlanStatus.FROZEN:
            code = {PlanStatus.DRAFT: ErrorCode.PLAN_NOT_FROZEN,
                    PlanStatus.CANCELLED: ErrorCode.WRONG_STATUS}.get(plan.status, ErrorCode.ALREADY_DRAWN)
            raise Conflict(f"plan {plan_id} is {plan.status.value}; only a frozen plan can be drawn", code=code)
        if len(public_value) > 200:
            raise field_error("publicValue", "publicValue is limited to 200 characters", ErrorCode.INVALID_VALUE)
        if plan.protocol >= 2:
            record, tasks = await drawing_v2.draw(self.repository, self.engine, plan, public_value=public_value,
                                                  now=self.clock(), inspection_date=inspection_date,
                                                  created_by=viewer.username or "")
            return await self._store_draw(viewer, plan, record, [], tasks, request_id=request_id)
        return await self._draw_v1(viewer, plan, public_value=public_value, inspection_date=inspection_date,
                                   request_id=request_id)

    async def _draw_v1(self, viewer: Viewer, plan: Plan, *, public_value: str, inspection_date: date | None,
                       request_id: str) -> DrawnPlan:
        """A plan frozen under protocol v1 (before v2 ran) is drawn with v1's algorithms."""
        plan_id = plan.id
        rows = await self.repository.population(plan.id)
        secret = await self.repository.secret(plan.id)
        if not (plan.population_hash and plan.commitment and plan.quotas is not None and secret):
            raise RuntimeError(f"frozen plan {plan_id} lacks its population hash, commitment or secret")
        seed = self.engine.seed(secret=secret, population_hash=plan.population_hash, plan_id=plan.id,
                                public_value=public_value)
        drawn = self.engine.draw_objects(rows, plan.quotas, seed)
        stratum_of = {code: stratum for stratum, codes in drawn.items() for code in codes}
        day = inspection_date or max(plan.period_start, datetime.now(UTC).date())
        labels = await EnterpriseRepository(self.database).labels(sorted(stratum_of))
        snapshot = await population.inspector_snapshot(self.database, self.repository, plan, set(stratum_of))
        staffing = self._staff(plan, stratum_of, labels, snapshot, seed, day)
        now = datetime.now(UTC)
        draw_id = f"{plan.id}:0"
        record = Draw(id=draw_id, plan_id=plan.id, kind="original", object_algorithm=self.engine.object_algorithm,
                      inspector_algorithm=self.engine.inspector_algorithm, commitment=plan.commitment, secret=secret,
                      public_value=public_value, seed=seed, population_hash=plan.population_hash,
                      quotas=plan.quotas, drawn_count=len(stratum_of), staffed_count=len(staffing.teams),
                      unstaffed=staffing.unstaffed, inspection_date=day, team_size=plan.team_size,
                      created_by=viewer.username or "", created_at=now)
        tasks = [_task(plan, draw_id, code, stratum_of[code], labels[code], staffing, now)
                 for code in sorted(stratum_of)]
        return await self._store_draw(viewer, plan, record, snapshot, tasks, request_id=request_id)

    async def _store_draw(self, viewer: Viewer, plan: Plan, record: Draw, snapshot: list[dict[str, Any]],
                          tasks: list[Task], *, request_id: str) -> DrawnPlan:
        """The draw and all its tasks in one transaction, once per plan (``ALREADY_DRAWN`` for the later one)."""
        plan_id, draw_id = plan.id, record.id

        async def store(session: Any) -> Plan:
            moved = await self.repository.update_plan(
                plan.id, expect={"status": PlanStatus.FROZEN.value},
                changes={"status": PlanStatus.DRAWN.value, "draw_id": draw_id}, session=session)
            if moved is None:
                raise Conflict(f"plan {plan_id} was drawn meanwhile", code=ErrorCode.ALREADY_DRAWN)
            await self.repository.insert_draw(record, snapshot, tasks, session=session)
            return moved

        try:
            drawn_plan = await self.database.transaction(store)
        except Exception as exc:  # another draw got there first (its draw id, or it kept conflicting)
            if not lost_race(exc):
                raise
            raise Conflict(f"plan {plan_id} was drawn meanwhile", code=ErrorCode.ALREADY_DRAWN) from exc
        await self.plans.audit.append(actor=viewer.username, action="drawPlan", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"draw": draw_id, "drawn": len(tasks), "unstaffed": len(record.unstaffed),
                                              "public_value": record.public_value})
        return DrawnPlan(draw=record, plan=drawn_plan)

    def _staff(self, plan: Plan, stratum_of: dict[str, str], labels: dict[str, tuple[str, str]],
               snapshot: list[dict[str, Any]], seed: str, day: date) -> Staffing:
        """Teams for the drawn objects; refused when the eligible inspectors cannot cover them all."""
        pool = self.engine.candidates(snapshot)
        eligible = sum(1 for c in pool if c.eligible_on(day))
        needed = len(stratum_of) * plan.team_size
        if stratum_of and (eligible < plan.team_size or needed > eligible * plan.max_tasks_per_inspector):
            raise field_error(
                "planId", f"{len(stratum_of)} tasks need {needed} inspector-visits; {eligible} eligible inspectors "
                f"at most {plan.max_tasks_per_inspector} each can give {eligible * plan.max_tasks_per_inspector}",
                ErrorCode.INSUFFICIENT_CAPACITY)
        slots = [(code, tuple(tables.ancestors(labels[code][1]))) for code in sorted(stratum_of)]
        return self.engine.assign(slots, pool, seed=seed, on=day, team_size=plan.team_size)

    async def publish(self, viewer: Viewer, plan_id: str, *, request_id: str) -> Plan:
        """Make the draw of a plan public (一公开): its list, and the document to verify it."""
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if plan.draw_id is None:
            raise Conflict(f"plan {plan_id} has not been drawn", code=ErrorCode.PLAN_NOT_DRAWN)
        await self.repository.publish_draw(plan.draw_id)
        await self.plans.audit.append(actor=viewer.username, action="publishPlan", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok")
        return plan

    async def cancel(self, viewer: Viewer, plan_id: str, *, reason: str, request_id: str) -> Plan:
        """Call off a frozen plan, or a drawn one on which no work has started, for a reason everyone sees.

        The plan stays public with its commitment; a drawn plan's draw is published with it (what was
        drawn and then abandoned is public too) and its unstarted tasks are cancelled.
        """
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        reason = reason.strip()
        if not reason:
            raise field_error("reason", "cancelling a plan needs a reason", ErrorCode.REASON_REQUIRED)
        if len(reason) > 2000:
            raise field_error("reason", "reason is limited to 2000 characters", ErrorCode.INVALID_VALUE)
        if plan.status not in (PlanStatus.FROZEN, PlanStatus.DRAWN):
            raise Conflict(f"plan {plan_id} is {plan.status.value}; only a frozen or drawn plan can be cancelled",
                           code=ErrorCode.WRONG_STATUS)
        changes = {"status": PlanStatus.CANCELLED.value, "cancelled_at": datetime.now(UTC),
                   "cancelled_by": viewer.username or "", "cancellation_reason": reason}

        async def store(session: Any) -> Plan:
            started = await self.repository.started_tasks(plan.id, session=session)
            if started:
                raise Conflict(f"plan {plan_id} has {started} task(s) under way or done; it can no longer be "
                               f"cancelled", code=ErrorCode.WRONG_STATUS)
            cancelled = await self.repository.update_plan(
                plan.id, expect={"status": plan.status.value, "version": plan.version}, changes=changes,
                session=session)
            if cancelled is None:
                raise Conflict(f"plan {plan_id} changed while cancelling", code=ErrorCode.STALE_VERSION)
            tasks = 0
            if plan.draw_id:
                await self.repository.publish_draw(plan.draw_id, session=session)
                tasks = await self.repository.cancel_tasks(plan.id, session=session)
            await self.plans.audit.append(actor=viewer.username, action="cancelPlan", target=f"plan:{plan.id}",
                                          request_id=request_id, outcome="ok", session=session,
                                          detail={"reason": reason, "was": plan.status.value,
                                                  "commitment": plan.commitment, "tasks_cancelled": tasks})
            return cancelled

        return await self.database.transaction(store)

    async def document(self, viewer: Viewer, plan_id: str) -> dict[str, Any] | None:
        """The draw document of a plan in the viewer's scope (None before the draw), published or not."""
        plan = await self.plans.get(viewer, plan_id)
        draw = await self.repository.get_draw(plan.draw_id) if plan.draw_id else None
        return await self._document(draw) if draw else None

    async def published_document(self, draw_id: str) -> dict[str, Any] | None:
        """The draw document, for anyone, once a supervisor has published the draw.

        A replacement's id (``<plan>:<n>``) answers the document of the draw it belongs to, where it is published.
        """
        draw = await self.repository.get_draw(draw_id)
        if draw is None and (original := await self.repository.replaced_draw(draw_id)) is not None:
            draw = await self.repository.get_draw(original)
        return await self._document(draw) if draw and draw.published else None

    async def _document(self, draw: Draw) -> dict[str, Any]:
        plan = await self.repository.get_plan(draw.plan_id)
        if plan is None:
            raise RuntimeError(f"draw {draw.id} has no plan {draw.plan_id}")
        tasks = await self.repository.tasks_of_plan(plan.id)
        redraws = await self.repository.redraws(plan.id)
        record = publication.public_draw(plan, draw, tasks, redraws)
        if draw.protocol >= 2:
            own = [t for t in tasks if t.draw_id == draw.id]
            drawn: dict[str, list[str]] = {}
            for task in own:
                drawn.setdefault(task.stratum, []).append(task.credit_code)
            return self.engine.document_v2(
                commitment=await drawing_v2.load_commitment(self.repository, self.engine, plan), secret=draw.secret,
                public_value=draw.public_value, seed=draw.seed, drawn=drawn,
                teams={t.credit_code: t.drawn_inspectors for t in own if t.drawn_inspectors},
                unstaffed=draw.unstaffed, redraws=redraws, public=publication.plan_record(plan, record))
        return self.engine.document(record=record, rows=await self.repository.population(plan.id),
                                    tasks=[t for t in tasks if t.draw_id == draw.id],
                                    pool=await self.repository.snapshot(draw.id))


def _task(plan: Plan, draw_id: str, code: str, stratum: str, label: tuple[str, str], staffing: Staffing,
          now: datetime) -> Task:
    team = staffing.teams.get(code, [])
    name, jurisdiction = label
    return Task(id=f"{draw_id}:{code}", plan_id=plan.id, draw_id=draw_id, credit_code=code,
                enterprise_name=name, jurisdiction=jurisdiction, stratum=stratum,
                inspectors=team, drawn_inspectors=team, lead=team[0] if team else None,
                status=TaskStatus.ASSIGNED if team else TaskStatus.UNSTAFFED,
                unstaffed_reason=staffing.unstaffed.get(code), created_at=now)
