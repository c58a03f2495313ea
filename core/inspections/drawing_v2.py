"""Freeze and draw under protocol v2 (docs/draw-spec.md): announce, commit everything, then draw.

Freezing builds the population with every member's stratum, tier, flags, weight and π, the exclusions
with their reasons, the inspector snapshot with open loads, the strata, the inspection date and team size,
and the announcement of the public value; all of it goes into one commitment document, stored as one
compressed file, whose hash is published at once. The draw takes only that document, the secret and the
announced value, after its announced time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from core.error_codes import ErrorCode
from core.inspections import law, population
from core.inspections.announcement import PublicSource, check_value
from core.inspections.classes import Classifier
from core.inspections.models import Commitment, Draw, Plan, Task, TaskStatus
from core.inspections.ports import DrawEngine
from core.inspections.repository import InspectionRepository
from core.inspections.service import field_error
from core.reference import tables
from core.registry.repository import EnterpriseRepository

Clock = Callable[[], datetime]


async def commit(repository: InspectionRepository, engine: DrawEngine, source: PublicSource, plan: Plan,
                 classify: Classifier, *, now: datetime, secret: str, draw_number: str | None,
                 inspection_date: date | None, bounds: law.DrawLaw | None = None) -> tuple[Commitment, dict[str, Any]]:
    """The commitment of ``plan`` and the plan's changes at freeze (its status excepted), within the law's
    ``bounds`` (minimum ratios, what the visit cap counts) when given."""
    database = repository.database
    built = await population.build(database, plan, repository, classify,
                                   count_targeted=bounds.count_targeted_visits if bounds else False)
    if bounds is not None:
        law.check_minimums(built.ratios, bounds)
    if not built.members:
        raise field_error("planId", f"plan {plan.id} has an empty population", ErrorCode.EMPTY_POPULATION)
    announcement = source.announce(now, draw_number=draw_number)
    earliest = datetime.fromisoformat(announcement["earliest_draw"]).date()
    if inspection_date is not None and not plan.period_start <= inspection_date <= plan.period_end:
        raise field_error("inspectionDate", f"{inspection_date} is outside the plan's period", ErrorCode.INVALID_VALUE)
    day = inspection_date or max(plan.period_start, earliest)  # as v1 did with the day of the draw
    codes = {m.credit_code for m in built.members}
    snapshot = await population.inspector_snapshot(database, repository, plan, codes)
    commitment = engine.commit(
        plan=plan, frozen_at=now, secret_commitment=engine.commitment(secret), announcement=announcement,
        inspection_date=day, members=built.members, ratios=built.ratios, exclusions=built.exclusions,
        divisions={m.division: tables.ancestors(m.division) for m in built.members}, inspectors=snapshot)
    _refuse_overload(plan, commitment.document, sum(commitment.quotas.values()))
    changes = {"protocol": engine.protocol, "commitment": commitment.commitment_hash,
               "population_hash": commitment.population_hash, "population_size": len(built.members),
               "stratum_sizes": commitment.sizes, "quotas": commitment.quotas, "stratum_ratios": built.ratios,
               "excluded": built.excluded, "announcement": announcement, "inspection_date": day.isoformat()}
    return commitment, changes


async def draw(repository: InspectionRepository, engine: DrawEngine, plan: Plan, *, public_value: str,
               now: datetime, inspection_date: date | None, created_by: str) -> tuple[Draw, list[Task]]:
    """The draw record and the tasks of a v2 plan (nothing is written here)."""
    if plan.announcement is None or plan.commitment is None or plan.inspection_date is None:
        raise RuntimeError(f"plan {plan.id} was frozen under protocol 2 without its announcement")
    check_value(public_value, plan.announcement, now)
    if inspection_date is not None and inspection_date != plan.inspection_date:
        raise field_error("inspectionDate", f"the inspection date {plan.inspection_date} was committed at freeze",
                          ErrorCode.INVALID_VALUE)
    document = await load_commitment(repository, engine, plan)
    secret = await repository.secret(plan.id)
    if secret is None:
        raise RuntimeError(f"frozen plan {plan.id} lacks its secret")
    seed = engine.seed_v2(commitment_hash=plan.commitment, secret=secret, public_value=public_value)
    outcome = engine.draw_v2(document, seed)
    stratum_of = {code: stratum for stratum, codes in outcome.drawn.items() for code in codes}
    names = await EnterpriseRepository(repository.database).labels(sorted(stratum_of))
    division = {row[0]: row[2] for row in document["population"]["rows"]}
    draw_id = f"{plan.id}:0"
    algorithms = document["algorithms"]
    record = Draw(id=draw_id, plan_id=plan.id, kind="original", object_algorithm=algorithms["objects"],
                  inspector_algorithm=algorithms["inspectors"], commitment=plan.commitment, secret=secret,
                  public_value=public_value, seed=seed, population_hash=plan.population_hash or "",
                  quotas=plan.quotas or {}, drawn_count=len(stratum_of), staffed_count=len(outcome.teams),
                  unstaffed=outcome.unstaffed, inspection_date=plan.inspection_date, team_size=plan.team_size,
                  created_by=created_by, created_at=now, protocol=engine.protocol)
    tasks = []
    for code in sorted(stratum_of):
        team = outcome.teams.get(code, [])
        tasks.append(Task(id=f"{draw_id}:{code}", plan_id=plan.id, draw_id=draw_id, credit_code=code,
                          enterprise_name=names.get(code, ("", ""))[0], jurisdiction=division[code],
                          stratum=stratum_of[code], inspectors=team, drawn_inspectors=team,
                          lead=team[0] if team else None,
                          status=TaskStatus.ASSIGNED if team else TaskStatus.UNSTAFFED,
                          unstaffed_reason=outcome.unstaffed.get(code), created_at=now))
    return record, tasks


def _refuse_overload(plan: Plan, document: dict[str, Any], drawn: int) -> None:
    """Refused at freeze, before any randomness: the committed pool cannot give every quota its team."""
    day = document["inspection"]["date"]
    eligible = sum(1 for i in document["inspectors"] if i["on_post"] and str(i["certificate_expires"]) >= day)
    needed = drawn * plan.team_size
    if drawn and (eligible < plan.team_size or needed > eligible * plan.max_tasks_per_inspector):
        raise field_error(
            "planId", f"{drawn} tasks need {needed} inspector-visits; {eligible} eligible inspectors at most "
            f"{plan.max_tasks_per_inspector} each can give {eligible * plan.max_tasks_per_inspector}",
            ErrorCode.INSUFFICIENT_CAPACITY)


async def load_commitment(repository: InspectionRepository, engine: DrawEngine, plan: Plan) -> dict[str, Any]:
    data = await repository.commitment(plan.id)
    if data is None:
        raise RuntimeError(f"plan {plan.id} has no stored commitment document")
    return engine.read_commitment(data)
