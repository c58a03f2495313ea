"""Multi-step plan processes: freeze (population + commitment), draw (objects, then inspectors), publish.

Each step writes all or nothing in one transaction, guarded by the plan's status, so two
concurrent draws of one plan produce one draw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.accounts.models import Viewer
from core.db import Database, chunks, lost_race
from core.errors import Conflict
from core.events.service import history_for
from core.inspections import classes
from core.inspections.models import Draw, Plan, PlanStatus, Task, TaskStatus
from core.inspections.repository import InspectionRepository
from core.inspections.service import PlanService, field_error, require_supervisor
from core.policies.repository import DecisionRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository
from scheduler import assignment, randomness, sampling


async def _attach_record(database: Database, part: list[dict[str, Any]], day: date) -> None:
    """Give each document its stored policy decisions and its event facts, for the classifiers."""
    codes = [doc["credit_code"] for doc in part]
    decisions = await DecisionRepository(database).current(codes)
    histories = await history_for(database, codes, day)
    for doc in part:
        doc["decisions"] = decisions.get(doc["credit_code"], {})
        doc["history"] = histories[doc["credit_code"]]


def _cycle_start(plan: Plan) -> datetime:
    return datetime(plan.period_start.year, 1, 1, tzinfo=UTC)


async def _visits(repository: InspectionRepository, plan: Plan) -> tuple[dict[str, int], dict[str, datetime],
                                                                         dict[str, set[str]]]:
    counts: dict[str, int] = defaultdict(int)
    last: dict[str, datetime] = {}
    by_inspector: dict[str, set[str]] = defaultdict(set)
    async for task in repository.visits_since(plan.jurisdiction, _cycle_start(plan)):
        code = task["credit_code"]
        counts[code] += 1
        last[code] = max(last.get(code, task["created_at"]), task["created_at"])
        for staff in task.get("inspectors", []):
            by_inspector[staff].add(code)
    return counts, last, by_inspector


ClassifierFactory = Callable[[Plan], Awaitable[classes.Classifier]]


async def build_population(database: Database, plan: Plan, repository: InspectionRepository,
                           classify: classes.Classifier
                           ) -> tuple[list[tuple[str, str, float]], dict[str, int], dict[str, float]]:
    """Population rows (id, stratum, weight) sorted by id, exclusions, and the ratio of each stratum."""
    counts, last, _ = await _visits(repository, plan)
    query: dict[str, Any] = {"jurisdiction_path": plan.jurisdiction}
    if plan.industry_codes:
        query["industry_code"] = {"$in": plan.industry_codes}
    recent_cut = datetime.now(UTC) - timedelta(days=plan.exclude_inspected_within_days)
    rows: list[tuple[str, str, float]] = []
    ratios: dict[str, float] = {}
    excluded = {"visit_cap": 0, "recently_inspected": 0}
    async for part in EnterpriseRepository(database).stream(query, batch=1000):
        await _attach_record(database, part, plan.period_start)
        for doc in part:
            code = doc["credit_code"]
            if counts.get(code, 0) >= plan.yearly_visit_cap:
                excluded["visit_cap"] += 1
                continue
            if plan.exclude_inspected_within_days and code in last and last[code] >= recent_cut:
                excluded["recently_inspected"] += 1
                continue
            stratum, weight, ratio = classify(doc, code in counts)
            if ratios.setdefault(stratum, ratio) != ratio:
                raise RuntimeError(f"stratum {stratum} was given two ratios")
            rows.append((code, stratum, weight))
    rows.sort()
    return rows, excluded, ratios


class PlanFlows:
    def __init__(self, database: Database, *, policy_classifier: ClassifierFactory | None = None) -> None:
        self.database = database
        self.plans = PlanService(database)
        self.repository = self.plans.repository
        self.policy_classifier = policy_classifier

    async def _classifier(self, plan: Plan) -> classes.Classifier:
        if plan.ratio_source == "policy":
            if self.policy_classifier is None:
                raise field_error("ratioSource", "no policy engine is configured", "NO_POLICY")
            return await self.policy_classifier(plan)
        return classes.plan_classifier(plan, plan.period_start)

    async def freeze(self, viewer: Viewer, plan_id: str, *, request_id: str) -> Plan:
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if plan.status is not PlanStatus.DRAFT:
            raise Conflict(f"plan {plan_id} is already {plan.status.value}", code="PLAN_NOT_DRAFT")
        rows, excluded, ratios = await build_population(self.database, plan, self.repository,
                                                        await self._classifier(plan))
        if not rows:
            raise field_error("planId", f"plan {plan_id} has an empty population", "EMPTY_POPULATION")
        population = sampling.Population.from_rows(rows)
        quotas = sampling.quotas(population.sizes(), ratios)
        secret = randomness.new_secret()
        now = datetime.now(UTC)
        changes = {"status": PlanStatus.FROZEN.value, "frozen_at": now, "published_at": now,
                   "commitment": randomness.commitment(secret), "population_hash": randomness.population_hash(rows),
                   "population_size": len(rows), "stratum_sizes": population.sizes(), "quotas": quotas,
                   "stratum_ratios": ratios,
                   "excluded": excluded}
        async def store(session: Any) -> Plan:
            await self.repository.save_population(plan.id, rows, session=session)
            await self.repository.save_secret(plan.id, secret, session=session)
            frozen = await self.repository.update_plan(plan.id, expect={"status": PlanStatus.DRAFT.value,
                                                                        "version": plan.version},
                                                       changes=changes, session=session)
            if frozen is None:
                raise Conflict(f"plan {plan_id} changed while freezing", code="STALE_VERSION")
            return frozen

        frozen = await self.database.transaction(store)
        await self.plans.audit.append(actor=viewer.username, action="freezePlan", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"population": len(rows), "commitment": changes["commitment"]})
        return frozen

    async def draw(self, viewer: Viewer, plan_id: str, *, public_value: str = "", request_id: str,
                   inspection_date: date | None = None) -> Draw:
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if plan.status is not PlanStatus.FROZEN:
            code = "ALREADY_DRAWN" if plan.status is not PlanStatus.DRAFT else "PLAN_NOT_FROZEN"
            raise Conflict(f"plan {plan_id} is {plan.status.value}; only a frozen plan can be drawn", code=code)
        if len(public_value) > 200:
            raise field_error("publicValue", "publicValue is limited to 200 characters", "INVALID_VALUE")
        rows = await self.repository.population(plan.id)
        secret = await self.repository.secret(plan.id)
        if not (plan.population_hash and plan.commitment and plan.quotas is not None and secret):
            raise RuntimeError(f"frozen plan {plan_id} lacks its population hash, commitment or secret")
        seed = randomness.derive_seed(secret_hex=secret, population_digest=plan.population_hash, plan_id=plan.id,
                                      public_value=public_value)
        drawn = sampling.draw(sampling.Population.from_rows(rows), plan.quotas, seed)
        stratum_of = {code: stratum for stratum, codes in drawn.items() for code in codes}
        day = inspection_date or max(plan.period_start, datetime.now(UTC).date())
        enterprises = await self._enterprises(sorted(stratum_of))
        snapshot = await self._inspector_snapshot(plan, set(stratum_of))
        pool = [candidate_from_snapshot(c) for c in snapshot]
        eligible = sum(1 for c in pool if c.eligible_on(day))
        needed = len(stratum_of) * plan.team_size
        if stratum_of and (eligible < plan.team_size or needed > eligible * plan.max_tasks_per_inspector):
            raise field_error(
                "planId", f"{len(stratum_of)} tasks need {needed} inspector-visits; {eligible} eligible inspectors "
                f"at most {plan.max_tasks_per_inspector} each can give {eligible * plan.max_tasks_per_inspector}",
                "INSUFFICIENT_CAPACITY")
        slots = [assignment.TaskSlot(code, tuple(tables.ancestors(enterprises[code]["jurisdiction"])))
                 for code in sorted(stratum_of)]
        result = assignment.assign(slots, pool, seed_hex=seed, on=day, team_size=plan.team_size)
        now = datetime.now(UTC)
        draw_id = f"{plan.id}:0"
        record = Draw(id=draw_id, plan_id=plan.id, kind="original", object_algorithm=sampling.ALGORITHM,
                      inspector_algorithm=assignment.ALGORITHM, commitment=plan.commitment, secret=secret,
                      public_value=public_value, seed=seed, population_hash=plan.population_hash,
                      quotas=plan.quotas, drawn_count=len(stratum_of), staffed_count=len(result.teams),
                      unstaffed=result.unstaffed, inspection_date=day, team_size=plan.team_size,
                      created_by=viewer.username or "", created_at=now)
        tasks = [_task(plan, draw_id, code, stratum_of[code], enterprises[code], result, now)
                 for code in sorted(stratum_of)]
        async def store(session: Any) -> None:
            moved = await self.repository.update_plan(
                plan.id, expect={"status": PlanStatus.FROZEN.value},
                changes={"status": PlanStatus.DRAWN.value, "draw_id": draw_id}, session=session)
            if moved is None:
                raise Conflict(f"plan {plan_id} was drawn meanwhile", code="ALREADY_DRAWN")
            await self.repository.insert_draw(record, snapshot, tasks, session=session)

        try:
            await self.database.transaction(store)
        except Exception as exc:  # another draw got there first (its draw id, or it kept conflicting)
            if not lost_race(exc):
                raise
            raise Conflict(f"plan {plan_id} was drawn meanwhile", code="ALREADY_DRAWN") from exc
        await self.plans.audit.append(actor=viewer.username, action="drawPlan", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok",
                                      detail={"draw": draw_id, "drawn": len(stratum_of),
                                              "unstaffed": len(result.unstaffed)})
        return record

    async def publish(self, viewer: Viewer, plan_id: str, *, request_id: str) -> Plan:
        """Make the draw of a plan public (一公开): its list, and the document to verify it."""
        plan = await self.plans.get(viewer, plan_id)
        require_supervisor(viewer, plan.jurisdiction)
        if plan.draw_id is None:
            raise Conflict(f"plan {plan_id} has not been drawn", code="PLAN_NOT_DRAWN")
        await self.database["draws"].update_one({"_id": plan.draw_id}, {"$set": {"published": True}})
        await self.plans.audit.append(actor=viewer.username, action="publishPlan", target=f"plan:{plan.id}",
                                      request_id=request_id, outcome="ok")
        return plan

    async def _enterprises(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(codes):
            cursor = self.database["enterprises"].find({"credit_code": {"$in": part}},
                                                       {"credit_code": 1, "name": 1, "jurisdiction": 1})
            async for doc in cursor:
                found[doc["credit_code"]] = doc
        return found

    async def _inspector_snapshot(self, plan: Plan, drawn: set[str]) -> list[dict[str, Any]]:
        """Inspectors who may serve the plan's jurisdiction, as frozen into the draw document."""
        _, _, visited = await _visits(self.repository, plan)
        ancestors = tables.ancestors(plan.jurisdiction)
        query = {"$or": [{"jurisdiction_path": plan.jurisdiction}, {"jurisdictions": {"$in": ancestors}}]}
        snapshot = []
        async for doc in self.database["inspectors"].find(query).sort("staff_id", 1):
            snapshot.append({"staff_id": doc["staff_id"], "jurisdictions": doc["jurisdictions"],
                             "certificate_expires": doc["certificate_expires"], "on_post": doc["on_post"],
                             "conflicts": sorted(set(doc.get("conflicts", [])) & drawn),
                             "visited": sorted(visited.get(doc["staff_id"], set()) & drawn)})
        return snapshot


def candidate_from_snapshot(entry: dict[str, Any]) -> assignment.Candidate:
    return assignment.Candidate(
        staff_id=entry["staff_id"], jurisdictions=tuple(entry["jurisdictions"]),
        certificate_expires=date.fromisoformat(entry["certificate_expires"]), on_post=entry["on_post"],
        conflicts=frozenset(entry["conflicts"]), visited=frozenset(entry["visited"]))


def _task(plan: Plan, draw_id: str, code: str, stratum: str, enterprise: dict[str, Any],
          result: assignment.Assignment, now: datetime) -> Task:
    team = result.teams.get(code, [])
    return Task(id=f"{draw_id}:{code}", plan_id=plan.id, draw_id=draw_id, credit_code=code,
                enterprise_name=enterprise["name"], jurisdiction=enterprise["jurisdiction"], stratum=stratum,
                inspectors=team, drawn_inspectors=team, lead=team[0] if team else None,
                status=TaskStatus.ASSIGNED if team else TaskStatus.UNSTAFFED,
                unstaffed_reason=result.unstaffed.get(code), created_at=now)
