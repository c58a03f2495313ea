"""A plan's population at freeze, and the visits of its cycle that shape it and the inspector snapshot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.db import Database
from core.events.service import history_for
from core.inspections.classes import Classifier, on_positive_list
from core.inspections.models import Member, Plan
from core.inspections.ports import Row
from core.inspections.repository import InspectionRepository
from core.inspections.visits import in_year
from core.policies.classes import published_tier
from core.policies.repository import DecisionRepository
from core.registry.repository import EnterpriseRepository, InspectorRepository


@dataclass
class Visits:
    """Random and targeted visits since the start of a plan's cycle (its year)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # by credit code
    last: dict[str, datetime] = field(default_factory=dict)  # by credit code
    by_inspector: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # staff id → codes


@dataclass(frozen=True)
class Population:
    rows: list[Row]  # (credit code, stratum, weight), sorted by credit code
    excluded: dict[str, int]  # reason → how many
    ratios: dict[str, float]  # stratum → ratio
    members: list[Member] = field(default_factory=list)  # the rows with their flags, same order
    exclusions: list[tuple[str, str]] = field(default_factory=list)  # (credit code, reason), sorted


def cycle_start(plan: Plan) -> datetime:
    return datetime(plan.period_start.year, 1, 1, tzinfo=UTC)


async def visits(repository: InspectionRepository, plan: Plan) -> Visits:
    found = Visits()
    async for task in repository.visits_since(plan.jurisdiction, cycle_start(plan)):
        code = task["credit_code"]
        found.counts[code] += 1
        found.last[code] = max(found.last.get(code, task["created_at"]), task["created_at"])
        for staff in task.get("inspectors", []):
            found.by_inspector[staff].add(code)
    return found


async def _attach_record(database: Database, part: list[dict[str, Any]], day: date) -> None:
    """Give each document its stored policy decisions and its event facts, for the classifiers."""
    codes = [doc["credit_code"] for doc in part]
    decisions = await DecisionRepository(database).current(codes)
    histories = await history_for(database, codes, day)
    for doc in part:
        doc["decisions"] = decisions.get(doc["credit_code"], {})
        doc["history"] = histories[doc["credit_code"]]


async def build(database: Database, plan: Plan, repository: InspectionRepository,
                classify: Classifier, *, count_targeted: bool = False) -> Population:
    """Every enterprise of the plan's scope not excluded (visit cap, recently inspected), classified.

    The cap counts the inspections done in the plan's calendar year (``visits.in_year``); targeted ones
    only with ``count_targeted``, else they are reported as ``targeted_visits_not_counted``.
    """
    seen = await visits(repository, plan)
    done = await in_year(repository, plan.jurisdiction, plan.period_start.year)
    recent_cut = datetime.now(UTC) - timedelta(days=plan.exclude_inspected_within_days)
    rows: list[Row] = []
    members: list[Member] = []
    exclusions: list[tuple[str, str]] = []
    ratios: dict[str, float] = {}
    excluded = {"visit_cap": 0, "recently_inspected": 0, "targeted_visits_not_counted": 0}
    enterprises = EnterpriseRepository(database).stream_population(plan.jurisdiction, plan.industry_codes,
                                                                   batch=1000)
    async for part in enterprises:
        await _attach_record(database, part, plan.period_start)
        for doc in part:
            code = doc["credit_code"]
            if not count_targeted:
                excluded["targeted_visits_not_counted"] += done.targeted.get(code, 0)
            if done.counted(code, count_targeted=count_targeted) >= plan.yearly_visit_cap:
                excluded["visit_cap"] += 1
                exclusions.append((code, "visit_cap"))
                continue
            if plan.exclude_inspected_within_days and code in seen.last and seen.last[code] >= recent_cut:
                excluded["recently_inspected"] += 1
                exclusions.append((code, "recently_inspected"))
                continue
            stratum, weight, ratio = classify(doc, code in seen.counts)
            if ratios.setdefault(stratum, ratio) != ratio:
                raise RuntimeError(f"stratum {stratum} was given two ratios")
            rows.append((code, stratum, weight))
            members.append(Member(code, stratum, doc["jurisdiction"], published_tier(doc),
                                  on_positive_list(doc, plan.period_start), code in seen.counts, weight))
    rows.sort()
    members.sort(key=lambda m: m.credit_code)
    return Population(rows=rows, excluded=excluded, ratios=ratios, members=members, exclusions=sorted(exclusions))


async def inspector_snapshot(database: Database, repository: InspectionRepository, plan: Plan,
                             drawn: set[str]) -> list[dict[str, Any]]:
    """Inspectors who may serve the plan's jurisdiction, as frozen into the draw document."""
    seen = await visits(repository, plan)
    inspectors = await InspectorRepository(database).serving(plan.jurisdiction)
    # Open tasks of every kind (random, alert, anomaly, complaint, hotspot): balancing counts them.
    open_loads = await repository.open_loads([doc["staff_id"] for doc in inspectors])
    return [{"staff_id": doc["staff_id"], "jurisdictions": doc["jurisdictions"],
             "certificate_expires": doc["certificate_expires"], "on_post": doc["on_post"],
             "conflicts": sorted(set(doc.get("conflicts", [])) & drawn),
             "visited": sorted(seen.by_inspector.get(doc["staff_id"], set()) & drawn),
             "open_load": open_loads.get(doc["staff_id"], 0)}
            for doc in inspectors]
