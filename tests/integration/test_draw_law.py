"""The law's constraints on a plan (issue #13): minimum ratios, the yearly visit cap, open loads, coverage."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import add_matters
from test_draws import SUPERVISOR, VALUE, XIAN_SUPERVISOR, plan_input, seed, services_for

from api.context import Services
from core.accounts.models import Role, Viewer
from core.db import Database
from core.demo.inspectors import DEMO_INSPECTORS
from core.errors import PermissionDenied, ValidationFailed
from core.inspections import population
from core.inspections.classes import plan_classifier
from core.inspections.models import PlanStatus, Task, TaskKind, TaskStatus
from core.inspections.targeted import targeted_task
from scheduler.verification import verify

ALICE = Viewer(username="alice", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
BOB = Viewer(username="bob", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
TODAY = datetime.now(UTC).date()
THIS_YEAR = {"period_start": date(TODAY.year, 1, 1), "period_end": date(TODAY.year, 12, 31)}


async def activate_ratio_parameters(services: Services, **values: Any) -> date:
    """A new sampling_ratio version with ``values`` as parameters, in force from tomorrow (returned)."""
    draft = await services.policies.create_version(ALICE, "sampling_ratio:610000")
    content = {**draft.content, "parameters": {**draft.content.get("parameters", {}), **values}}
    draft = await services.policies.update_draft(ALICE, draft.id, content, reason="test")
    await services.policies.add_golden_case(
        ALICE, draft.id, facts={"supervision_class": "general", "on_positive_list": False, "credit_tier": "blue"},
        expected={"ratio": 0.05, "weight": 1.0})
    await services.policies.submit(ALICE, draft.id)
    await services.policies.approve(BOB, draft.id)
    start = TODAY + timedelta(days=1)
    await services.policies.activate(BOB, draft.id, effective_from=start)
    return start


def codes_of(error: ValidationFailed) -> list[tuple[str, str]]:
    return [(e.field, str(e.code)) for e in error.as_field_errors()]


# --------------------------------------------------------------------------- minimum ratios


async def test_a_plan_below_the_minimum_ratio_is_refused_at_create_and_update(database: Database) -> None:
    await add_matters(database)
    services = services_for(database)
    with pytest.raises(ValidationFailed) as caught:
        await services.plans.create(SUPERVISOR, plan_input(ratios={"key": 0.01}), request_id="r")
    assert codes_of(caught.value) == [("ratios.key", "BELOW_MINIMUM_RATIO")]
    assert await database["plans"].count_documents({}) == 0
    plan = await services.plans.create(SUPERVISOR, plan_input(ratios={"key": 0.05}), request_id="r")  # at the floor
    with pytest.raises(ValidationFailed) as caught:
        await services.plans.update(SUPERVISOR, plan.id, version=plan.version,
                                    data={"ratios": {"general": 0.02, "special": 0.5}}, request_id="r")
    assert codes_of(caught.value) == [("ratios.general", "BELOW_MINIMUM_RATIO"),
                                      ("ratios.special", "BELOW_MINIMUM_RATIO")]
    assert (await services.plans.get(SUPERVISOR, plan.id)).ratios == plan.ratios


async def test_a_minimum_raised_by_the_policy_refuses_the_freeze(database: Database) -> None:
    await seed(database, 200)
    services = services_for(database)
    await services.policies.install_default_packs()
    own = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")  # general 0.05: fine today
    by_policy = await services.plans.create(SUPERVISOR, plan_input(ratio_source="policy", matters=["STJ-WRY-02"]),
                                            request_id="r")
    start = await activate_ratio_parameters(services, minimum_ratio_general=0.5)
    from core.inspections import law  # imported here: the module is new, so the test fails (not errors) before it

    assert (await law.in_force(database, start)).minimum_ratios["general"] == 0.5
    assert (await law.in_force(database, TODAY)).minimum_ratios["general"] == 0.05
    for plan in (own, by_policy):
        with pytest.raises(ValidationFailed) as caught:
            await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
        assert caught.value.code == "BELOW_MINIMUM_RATIO" and "general" in caught.value.field
        assert (await services.plans.get(SUPERVISOR, plan.id)).status is PlanStatus.DRAFT
    with pytest.raises(ValidationFailed) as caught:
        await services.plans.create(SUPERVISOR, plan_input(name="again"), request_id="r")
    assert codes_of(caught.value) == [("ratios.general", "BELOW_MINIMUM_RATIO")]


# --------------------------------------------------------------------------- the yearly visit cap


async def submitted(database: Database, plan_id: str) -> None:
    """As if every staffed task's inspection had been submitted from the field (a result needs one;
    tests/integration/test_submission_results.py goes through sync)."""
    await database["tasks"].update_many({"plan_id": plan_id, "status": "assigned"}, {"$set": {"status": "submitted"}})


async def _targeted(database: Database, services: Services, code: str, name: str, jurisdiction: str,
                    team: list[str], *, kind: str = TaskKind.COMPLAINT.value,
                    status: TaskStatus = TaskStatus.ASSIGNED) -> Task:
    task = targeted_task(kind=kind, origin=f"complaint:{uuid.uuid4()}", credit_code=code, name=name,
                         jurisdiction=jurisdiction, target={"test": True}).model_copy(
        update={"inspectors": team, "drawn_inspectors": team, "lead": team[0], "status": status,
                "unstaffed_reason": None})

    async def store(session: Any) -> None:
        await services.plans.repository.insert_targeted([task], session=session)

    await database.transaction(store)
    return task


async def test_the_visit_cap_counts_completed_random_inspections_by_inspection_date(database: Database) -> None:
    await seed(database, 300)
    services = services_for(database)
    first = await services.plans.create(SUPERVISOR, plan_input(name="上半年", ratios={"general": 0.2}, **THIS_YEAR),
                                        request_id="r")
    await services.draws.freeze(SUPERVISOR, first.id, request_id="r")
    await services.draws.draw(SUPERVISOR, first.id, public_value=VALUE, request_id="r")
    await services.draws.publish(SUPERVISOR, first.id, request_id="r")
    await submitted(database, first.id)
    staffed = [t for t in await services.plans.tasks_of(SUPERVISOR, first.id) if t.inspectors]
    assert len(staffed) >= 6
    done, refused = staffed[:3], staffed[3]
    for task in done:
        await services.results.record(SUPERVISOR, task.id, outcome="no_violation", summary="ok", completed_on=TODAY,
                                      request_id="r")
    await services.results.record(SUPERVISOR, refused.id, outcome="not_inspected", summary="closed",
                                  completed_on=TODAY, request_id="r")
    drawn = {t.credit_code for t in await services.plans.tasks_of(SUPERVISOR, first.id)}
    outsider = await database["enterprises"].find_one({"credit_code": {"$nin": sorted(drawn)}})
    complaint = await _targeted(database, services, outsider["credit_code"], outsider["name"],
                                outsider["jurisdiction"], done[0].inspectors, status=TaskStatus.SUBMITTED)
    await services.results.record(SUPERVISOR, complaint.id, outcome="violation_found", summary="found",
                                  completed_on=TODAY, request_id="r")

    second = await services.plans.create(SUPERVISOR, plan_input(name="下半年", yearly_visit_cap=1, **THIS_YEAR),
                                         request_id="r")
    frozen = await services.draws.freeze(SUPERVISOR, second.id, request_id="r")
    # Only the three inspected: not the drawn-but-not-done tasks, not "not inspected", not the complaint visit.
    assert frozen.excluded == {"visit_cap": 3, "recently_inspected": 0, "targeted_visits_not_counted": 1}
    committed = json.loads(await services.plans.repository.commitment(second.id) or b"{}")
    members = {row[0] for row in committed["population"]["rows"]}
    assert not members & {t.credit_code for t in done}
    assert {refused.credit_code, outsider["credit_code"], staffed[4].credit_code} <= members

    # A policy may count targeted visits too.
    plan = await services.plans.get(SUPERVISOR, second.id)
    counting = await population.build(database, plan, services.plans.repository,
                                      plan_classifier(plan, plan.period_start), count_targeted=True)
    assert counting.excluded == {"visit_cap": 4, "recently_inspected": 0, "targeted_visits_not_counted": 0}
    await services.policies.install_default_packs()
    start = await activate_ratio_parameters(services, visit_cap_counts_targeted=True)
    from core.inspections import law  # imported here: the module is new, so the test fails (not errors) before it

    assert (await law.in_force(database, start)).count_targeted_visits is True
    assert (await law.in_force(database, TODAY)).count_targeted_visits is False


# --------------------------------------------------------------------------- open loads


async def test_an_inspector_with_many_open_tasks_gets_fewer(database: Database) -> None:
    await seed(database)
    services = services_for(database)
    busy, partner = DEMO_INSPECTORS
    anywhere = await database["enterprises"].find_one({"jurisdiction": "610100"})
    for _ in range(40):  # open tasks of another kind: complaints
        await _targeted(database, services, anywhere["credit_code"], anywhere["name"], "610100", [busy, partner])
    plan = await services.plans.create(SUPERVISOR, plan_input(jurisdiction="610100", ratios={"general": 0.3}),
                                       request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    await services.draws.draw(SUPERVISOR, plan.id, public_value=VALUE, request_id="r")
    document = await services.draws.document(SUPERVISOR, plan.id)
    assert all(check.ok for check in verify(document)), [c for c in verify(document) if not c.ok]
    loads = {entry["staff_id"]: entry.get("open_load") for entry in document["commitment"]["inspectors"]}
    assert loads[busy] == 40 and loads[partner] == 40
    given: dict[str, int] = {}
    for team in document["teams"].values():
        for staff in team:
            given[staff] = given.get(staff, 0) + 1
    others = [n for staff, n in given.items() if staff not in (busy, partner)]
    assert others and max(others) < 40
    assert given.get(busy, 0) == 0 and given.get(partner, 0) == 0


# --------------------------------------------------------------------------- coverage


async def test_coverage_report_per_class_with_the_enterprises_not_inspected(database: Database) -> None:
    await seed(database, 300)
    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(ratios={"general": 0.2}, **THIS_YEAR),
                                       request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    await services.draws.draw(SUPERVISOR, plan.id, public_value=VALUE, request_id="r")
    await submitted(database, plan.id)
    staffed = [t for t in await services.plans.tasks_of(SUPERVISOR, plan.id) if t.inspectors]
    for task in staffed[:4]:
        await services.results.record(SUPERVISOR, task.id, outcome="no_violation", summary="ok", completed_on=TODAY,
                                      request_id="r")
    await services.results.record(SUPERVISOR, staffed[4].id, outcome="not_inspected", summary="closed",
                                  completed_on=TODAY, request_id="r")
    complaint = await _targeted(database, services, staffed[5].credit_code, staffed[5].enterprise_name,
                                staffed[5].jurisdiction, staffed[0].inspectors, status=TaskStatus.SUBMITTED)
    await services.results.record(SUPERVISOR, complaint.id, outcome="no_violation", summary="ok",
                                  completed_on=TODAY, request_id="r")

    report = await services.coverage.report(SUPERVISOR, "610000", TODAY.year, first=100)
    assert (report.cycle_start, report.cycle_end) == (date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    by_class = {row.supervision_class: row for row in report.classes}
    assert set(by_class) == {"special", "key", "general"}
    assert sum(row.enterprises for row in report.classes) == 300
    assert sum(row.inspected for row in report.classes) == 4
    inspected = {t.credit_code for t in staffed[:4]}
    for task in staffed[:4]:
        assert by_class[task.stratum].inspected >= 1
    assert report.uninspected_total == 296
    walked: list[str] = []
    after = None
    while True:
        page = await services.coverage.report(SUPERVISOR, "610000", TODAY.year, first=100, after=after)
        walked += [u.credit_code for u in page.uninspected]
        if not page.has_next:
            break
        after = page.cursors[-1]
    assert walked == sorted(walked) and len(walked) == 296 and not set(walked) & inspected
    assert {staffed[4].credit_code, staffed[5].credit_code} <= set(walked)  # not inspected; a complaint visit
    assert (await services.coverage.report(SUPERVISOR, "610000", TODAY.year - 1)).classes[0].inspected == 0


async def test_coverage_report_is_for_supervisors_of_the_jurisdiction(database: Database) -> None:
    services = services_for(database)
    inspector = Viewer(username="i", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                       inspector_id=DEMO_INSPECTORS[0])
    admin = Viewer(username="a", roles=frozenset({Role.ADMIN}), jurisdictions=("610000",))
    with pytest.raises(PermissionDenied):
        await services.coverage.report(inspector, "610100", TODAY.year)
    with pytest.raises(PermissionDenied):
        await services.coverage.report(XIAN_SUPERVISOR, "610300", TODAY.year)
    assert (await services.coverage.report(XIAN_SUPERVISOR, "610100", TODAY.year)).jurisdiction == "610100"
    assert (await services.coverage.report(admin, "610300", TODAY.year)).jurisdiction == "610300"
    with pytest.raises(ValidationFailed) as caught:
        await services.coverage.report(admin, "610300", TODAY.year, after="bm9wZQ==")
    assert caught.value.code == "INVALID_CURSOR"
