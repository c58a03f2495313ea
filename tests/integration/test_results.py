"""Results of random checks: deadlines in working days, refusals, publication, reports."""

from __future__ import annotations

from datetime import date

import pytest
from test_draws import SUPERVISOR, plan_input, seed, services_for

from api.context import Services
from core.config import Settings
from core.db import Database
from core.errors import Conflict, ValidationFailed


@pytest.fixture
async def drawn(database: Database) -> tuple[Services, str]:
    await seed(database, 300)
    services = services_for(database)
    # The results below are dated in 2026, so the plan covers 2026.
    plan = await services.plans.create(SUPERVISOR, plan_input(period_start=date(2026, 1, 1),
                                                              period_end=date(2026, 12, 31)), request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    await services.draws.draw(SUPERVISOR, plan.id, public_value="1 2 3 4 5", request_id="r")
    # As if every staffed task's inspection had been submitted from the field (tests/integration/
    # test_submission_results.py goes through sync): a result needs one.
    await database["tasks"].update_many({"plan_id": plan.id, "status": "assigned"}, {"$set": {"status": "submitted"}})
    return services, plan.id


async def test_deadline_counts_working_days_with_holidays(database: Database, drawn: tuple[Services, str]) -> None:
    _, plan_id = drawn
    settings = Settings(holidays=",".join(f"2026-10-0{d}" for d in range(1, 8)), makeup_days="2026-10-10",
                        publication_deadline_days=20)
    services = services_for(database, settings)
    results = services.results
    task = (await services.plans.tasks_of(SUPERVISOR, plan_id))[0]
    recorded = await results.record(SUPERVISOR, task.id, outcome="violation_found", summary="废气处理设施未运行",
                                    completed_on=date(2026, 9, 30), request_id="r")
    assert recorded.status.value == "closed"
    # 8, 9, 10 (make-up Saturday) = 3; 12–16, 19–23, 26–30 October = 18; 2 and 3 November = 20.
    assert recorded.result is not None and recorded.result.publication_due == date(2026, 11, 3)
    with pytest.raises(Conflict) as caught:
        await results.record(SUPERVISOR, task.id, outcome="no_violation", summary="x", completed_on=date(2026, 9, 30),
                             request_id="r")
    assert caught.value.code == "RESULT_EXISTS"


@pytest.mark.parametrize(("outcome", "summary", "completed", "code"), [
    ("no_violation", "ok", date(2099, 1, 1), "INVALID_DATE"),
    ("maybe", "ok", date(2026, 1, 5), "INVALID_VALUE"),
    ("no_violation", "", date(2026, 1, 5), "REQUIRED"),
])
async def test_bad_results_write_nothing(drawn: tuple[Services, str], outcome: str, summary: str, completed: date,
                                         code: str) -> None:
    services, plan_id = drawn
    results = services.results
    task = (await services.plans.tasks_of(SUPERVISOR, plan_id))[0]
    with pytest.raises(ValidationFailed) as caught:
        await results.record(SUPERVISOR, task.id, outcome=outcome, summary=summary, completed_on=completed,
                             request_id="r")
    assert caught.value.errors[0].code == code
    assert (await services.plans.task(SUPERVISOR, task.id)).result is None


async def test_publication_and_reports(drawn: tuple[Services, str]) -> None:
    services, plan_id = drawn
    results = services.results
    tasks = await services.plans.tasks_of(SUPERVISOR, plan_id)
    for task in tasks[:3]:
        await results.record(SUPERVISOR, task.id, outcome="no_violation", summary="未发现问题",
                             completed_on=date(2026, 3, 2), request_id="r")
    overdue = await results.overdue(SUPERVISOR, today=date(2026, 6, 1))
    assert {t.id for t in overdue} == {t.id for t in tasks[:3]}
    coverage = await results.coverage(SUPERVISOR, 2026, today=date(2026, 6, 1))
    assert sum(c.completed for c in coverage) == 3 and sum(c.published for c in coverage) == 0
    assert await results.publish(SUPERVISOR, plan_id, request_id="r") == 3
    assert await results.publish(SUPERVISOR, plan_id, request_id="r") == 0  # idempotent
    assert len(await results.published(plan_id)) == 3
    assert await results.overdue(SUPERVISOR, today=date(2026, 6, 1)) == []
    after = await results.coverage(SUPERVISOR, 2026, today=date(2026, 6, 1))
    assert sum(c.published for c in after) == 3 and all(c.ratio == 1.0 for c in after)


async def test_plan_moves_to_in_progress_then_closed(drawn: tuple[Services, str]) -> None:
    services, plan_id = drawn
    results = services.results
    tasks = [t for t in await services.plans.tasks_of(SUPERVISOR, plan_id) if t.status.value == "submitted"]
    await results.record(SUPERVISOR, tasks[0].id, outcome="no_violation", summary="ok", completed_on=date(2026, 3, 2),
                         request_id="r")
    assert (await services.plans.get(SUPERVISOR, plan_id)).status.value == "in_progress"
    for task in tasks[1:]:
        await results.record(SUPERVISOR, task.id, outcome="no_violation", summary="ok",
                             completed_on=date(2026, 3, 2), request_id="r")
    assert (await services.plans.get(SUPERVISOR, plan_id)).status.value == "closed"
