"""Periodic jobs: leases, idempotence per period, plans from templates, notices."""

from __future__ import annotations

import asyncio
from datetime import date

from conftest import add_matters
from test_draws import SUPERVISOR, plan_input, seed, services_for

from core import leases
from core.db import Database
from core.inspections.repository import NOTICES
from scheduler.jobs import Jobs, period_of


def test_periods() -> None:
    assert period_of(date(2027, 5, 17), "quarterly") == ("2027-Q2", date(2027, 4, 1), date(2027, 6, 30))
    assert period_of(date(2027, 12, 31), "quarterly") == ("2027-Q4", date(2027, 10, 1), date(2027, 12, 31))
    assert period_of(date(2027, 7, 1), "half_yearly") == ("2027-H2", date(2027, 7, 1), date(2027, 12, 31))
    assert period_of(date(2027, 2, 1), "yearly") == ("2027-Y", date(2027, 1, 1), date(2027, 12, 31))


async def test_a_lease_has_one_holder(database: Database) -> None:
    assert await leases.acquire(database, "job", "a")
    assert not await leases.acquire(database, "job", "b")
    assert await leases.acquire(database, "job", "a")  # renewing your own lease
    await leases.release(database, "job", "a")
    assert await leases.acquire(database, "job", "b")


async def test_templates_make_one_plan_per_period_across_replicas(database: Database) -> None:
    await add_matters(database)
    services = services_for(database)
    jobs = Jobs(database, services.plans, services.results)
    settings = {k: v for k, v in plan_input().items() if k not in ("period_start", "period_end")}
    await services.plans.add_template(settings, "quarterly")
    replicas = [Jobs(database, services_for(database).plans, services_for(database).results) for _ in range(3)]
    await asyncio.gather(*[r.run_due(f"replica-{i}", today=date(2027, 5, 17)) for i, r in enumerate(replicas)])
    await jobs.run_due("again", today=date(2027, 6, 2))  # same quarter: nothing new
    plans = await database["plans"].find({}).to_list()
    assert [p["name"] for p in plans] == [f"{settings['name']} 2027-Q2"]
    assert plans[0]["period_start"] == "2027-04-01" and plans[0]["period_end"] == "2027-06-30"
    await jobs.run_due("next", today=date(2027, 7, 1))
    assert await database["plans"].count_documents({}) == 2


async def test_notices_for_overdue_results_and_unstaffed_tasks(database: Database) -> None:
    await seed(database, 300)
    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(period_start=date(2026, 1, 1),
                                                              period_end=date(2026, 12, 31)), request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    await services.draws.draw(SUPERVISOR, plan.id, public_value="1 2 3 4 5", request_id="r")
    task = next(t for t in await services.plans.tasks_of(SUPERVISOR, plan.id) if t.status.value == "assigned")
    await database["tasks"].update_one({"_id": task.id}, {"$set": {"status": "submitted"}})  # as if inspected
    await services.results.record(SUPERVISOR, task.id, outcome="no_violation", summary="ok",
                                  completed_on=date(2026, 3, 2), request_id="r")
    unstaffed = await database["tasks"].count_documents({"status": "unstaffed"})
    jobs = Jobs(database, services.plans, services.results)
    first = await jobs.notify(date(2026, 6, 1))
    second = await jobs.notify(date(2026, 6, 1))
    assert first["overdue"] == 1 and first["new_notices"] == 1 + unstaffed
    assert second["new_notices"] == 0
    assert await database[NOTICES].count_documents({"kind": "publication_overdue", "task": task.id}) == 1
