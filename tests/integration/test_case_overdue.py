"""The daily deadline job: overdue cases flagged once per case and day, in batches, under the scheduler's lease."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cases_support import AUTHOR, BAOJI_CHIEF, CHIEF, TODAY, Flow, ago, registry, service

from api.assembly import build_services
from core.cases.deadlines import deadlines
from core.cases.models import Case, CaseStatus, PartyKind, SourceKind, Violation
from core.cases.overdue import JOB, OverdueService
from core.cases.repository import FLAGS, CaseRepository
from core.cases.settings import CaseRules
from core.config import Settings
from core.db import Database
from core.errors import NotFound, PermissionDenied
from core.leases.repository import JOB_RUNS
from scheduler.jobs import Jobs


async def test_overdue_cases_are_flagged_once_a_day(database: Database, tmp_path: Path) -> None:
    code = await registry(database, tmp_path)
    cases = service(database)
    late_decision = Flow(cases, code)
    await late_decision.filed()  # filed 110 days ago: the decision was due 20 days ago
    unserved = Flow(cases, code)
    await unserved.decided()  # decided 90 days ago, neither served nor published
    fresh = Flow(cases, code)
    await fresh.open(discovered_on=ago(1))  # the filing decision is due in 14 days
    job = OverdueService(database)

    first = await job.flag_overdue(TODAY)
    assert (first.cases, first.new) == (2, 2)
    assert first.by_deadline == {"decision": 1, "publication": 1, "service": 1}
    again = await job.flag_overdue(TODAY)
    assert (again.cases, again.new, again.by_deadline) == (2, 0, first.by_deadline)
    assert await database[FLAGS].count_documents({}) == 2

    [flag] = await job.flags_of(CHIEF, late_decision.case_id)
    assert flag.day == TODAY and flag.jurisdiction == "610100"
    assert [(d.name, d.due_on) for d in flag.deadlines] == [("decision", TODAY - timedelta(days=20))]
    [served_flag] = await job.flags_of(CHIEF, unserved.case_id)
    assert sorted((d.name, d.ref) for d in served_flag.deadlines) == [("publication", "main"), ("service", "main")]
    assert await job.flags_of(CHIEF, fresh.case_id) == []

    # A deadline is late the day after it falls due, not on it.
    on_the_day = await job.flag_overdue(TODAY - timedelta(days=20))
    assert on_the_day.by_deadline == {"publication": 1, "service": 1}
    assert (await job.flag_overdue(TODAY - timedelta(days=19))).by_deadline == first.by_deadline
    assert [f.day for f in await job.flags_of(CHIEF, late_decision.case_id)] == [TODAY, TODAY - timedelta(days=19)]

    report = await job.report(CHIEF, TODAY)
    assert (report.cases, report.by_deadline, report.new) == (2, first.by_deadline, None)
    assert (await job.report(BAOJI_CHIEF, TODAY)).cases == 0  # another jurisdiction's flags are not counted
    with pytest.raises(NotFound):
        await job.flags_of(BAOJI_CHIEF, late_decision.case_id)
    with pytest.raises(PermissionDenied):
        await job.report(AUTHOR, TODAY)


def _case(decision_due_days: int, status: CaseStatus = CaseStatus.INVESTIGATING) -> Case:
    """A case stored without steps: filed, its decision due ``decision_due_days`` from today."""
    case = Case(id=str(uuid.uuid4()), jurisdiction="610102", credit_code="91610100MC0000001", party_name="测试企业",
                party_kind=PartyKind.ORGANISATION, source=SourceKind.ONSITE_FINDING,
                violations=[Violation(violation_type="exceed_standard", legal_basis="x")], officers=["a", "b"],
                opened_by="t", discovered_on=TODAY - timedelta(days=100), opened_on=TODAY - timedelta(days=99),
                status=status, filed_on=TODAY - timedelta(days=98),
                decision_due=TODAY + timedelta(days=decision_due_days))
    return case.model_copy(update={"deadlines": deadlines(case, CaseRules())})


async def test_flags_are_written_in_batches_and_a_later_run_adds_only_the_missing(database: Database) -> None:
    repository = CaseRepository(database)
    overdue = [_case(-d) for d in range(1, 8)]
    await repository.insert_many_cases([*overdue, _case(0), _case(5), _case(-3, CaseStatus.CLOSED)])
    job = OverdueService(database, batch=3)
    first = await job.flag_overdue(TODAY)
    assert (first.cases, first.new, first.by_deadline) == (7, 7, {"decision": 7})
    later = [_case(-d) for d in range(10, 14)]
    await repository.insert_many_cases(later)
    second = await job.flag_overdue(TODAY)  # batches of 3 mixing flags stored before and new ones
    assert (second.cases, second.new) == (11, 4)
    flagged = {doc["case_id"] for doc in await database[FLAGS].find({"day": TODAY.isoformat()}).to_list()}
    assert flagged == {c.id for c in overdue + later}


async def test_the_scheduler_flags_a_day_once_across_replicas(database: Database) -> None:
    await CaseRepository(database).insert_many_cases([_case(-d) for d in range(1, 6)] + [_case(3)])

    def replica() -> Jobs:
        services = build_services(database, Settings())
        return Jobs(database, services.plans, services.results,
                    extra={"case-deadlines": services.case_deadlines.run_daily})

    day = datetime.now(UTC).date()
    rounds = await asyncio.gather(*[replica().run_due(f"replica-{i}", today=day) for i in range(3)])
    ran = [r.detail for results in rounds for r in results if r.job == "case-deadlines" and r.ran]
    assert sum(detail.get("new", 0) for detail in ran) == 5
    assert [d for d in ran if "new" in d] == [{"day": day.isoformat(), "cases": 5, "by_deadline": {"decision": 5},
                                              "new": 5}]
    later = await replica().run_due("later", today=day)
    assert [r.detail for r in later if r.job == "case-deadlines"] == [
        {"skipped": f"overdue cases already flagged on {day.isoformat()}"}]
    assert await database[JOB_RUNS].count_documents({"job": JOB}) == 1
    assert await database[FLAGS].count_documents({}) == 5
    next_day = await replica().run_due("tomorrow", today=day + timedelta(days=1))
    assert [r.detail["new"] for r in next_day if r.job == "case-deadlines"] == [5]


async def test_a_jurisdiction_limited_listing_skips_no_case(database: Database) -> None:
    """Paging one city's cases, one at a time, through a mix of cities: every one of them comes back once
    (the window's limit was applied before the city filter, so cases after the cut were skipped)."""
    cities = ["610300", "610100", "610100", "610100", "610300", "610100", "610300", "610300", "610100"]
    cases = [_case(5).model_copy(update={"jurisdiction": city}) for city in cities]
    await CaseRepository(database).insert_many_cases(cases)
    cases_service, seen, after = service(database), [], None
    while True:
        rows, more = await cases_service.list_cases(CHIEF, first=1, after=after)
        seen += [case.id for _cursor, case in rows]
        if not more:
            break
        after = rows[-1][0]
    assert seen == [c.id for c, city in zip(cases, cities, strict=True) if city.startswith("6101")]
