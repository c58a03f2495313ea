"""A signed-off field submission records its task's result; a result needs an inspection and a date in the plan."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from test_draws import SUPERVISOR, plan_input, seed, services_for

from api.context import Services
from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import Conflict, ValidationFailed
from core.inspections.models import Task

TODAY = datetime.now(UTC).date()


def _op(type_: str, task_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "type": type_, "task_id": task_id, "record_id": str(uuid.uuid4()),
            "device_time": datetime.now(UTC).isoformat(), "payload": payload}


def _inspector(staff_id: str, task: Task) -> Viewer:
    return Viewer(username=f"u-{staff_id}", roles=frozenset({Role.INSPECTOR}), jurisdictions=(task.jurisdiction,),
                  inspector_id=staff_id)


async def _drawn(database: Database, start: date, end: date) -> tuple[Services, str, list[Task]]:
    await seed(database, 300)
    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(period_start=start, period_end=end), request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    await services.draws.draw(SUPERVISOR, plan.id, public_value="1 2 3 4 5", request_id="r")
    tasks = [t for t in await services.plans.tasks_of(SUPERVISOR, plan.id) if len(t.inspectors) >= 2]
    assert len(tasks) >= 3
    return services, plan.id, tasks


async def _inspect(services: Services, task: Task, findings: list[dict[str, Any]]) -> None:
    """Start, record findings, the party's refusal, both signatures and the submission, through sync."""
    first, second = (_inspector(s, task) for s in task.inspectors[:2])
    begin = _op("start_task", task.id, {})
    inspection = {"inspection_id": begin["record_id"]}
    ops = [begin, *(_op("record_finding", task.id, {**inspection, **f}) for f in findings),
           _op("record_party", task.id, {**inspection, "name": "张经理", "refused": True, "reason": "拒绝签字"}),
           _op("sign", task.id, inspection)]
    now = datetime.now(UTC)
    assert {r.status.value for r in await services.sync.push(first, ops, device_now=now)} == {"APPLIED"}
    assert (await services.sync.push(second, [_op("sign", task.id, inspection)], device_now=now))[0].code is None
    done = await services.sync.push(first, [_op("submit_task", task.id, inspection)], device_now=now)
    assert done[0].status.value == "APPLIED", done


FINDING = {"violation_type": "废气处理设施未正常运行", "severity": "serious", "description": "活性炭未更换",
           "legal_basis": "《大气污染防治法》第二十条"}


async def test_a_signed_off_submission_records_the_result_publication_uses(database: Database) -> None:
    services, plan_id, tasks = await _drawn(database, date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    await _inspect(services, tasks[0], [FINDING])
    await _inspect(services, tasks[1], [])
    found, clean = [await services.plans.task(SUPERVISOR, t.id) for t in tasks[:2]]
    assert found.result is not None and clean.result is not None
    assert found.result.outcome.value == "violation_found" and "废气处理设施未正常运行" in found.result.summary
    assert clean.result.outcome.value == "no_violation" and clean.result.summary == "未发现问题"
    assert found.result.completed_on == clean.result.completed_on and found.status.value == "closed"
    assert (await services.plans.get(SUPERVISOR, plan_id)).status.value == "in_progress"
    # Entered once: recording it again by hand is refused, and publication uses it.
    with pytest.raises(Conflict) as again:
        await services.results.record(SUPERVISOR, tasks[0].id, outcome="no_violation", summary="x",
                                      completed_on=TODAY, request_id="r")
    assert again.value.code == "RESULT_EXISTS"
    assert await services.results.publish(SUPERVISOR, plan_id, request_id="r") == 2
    published = {t.id: t.result.outcome.value for t in await services.results.published(plan_id) if t.result}
    assert published == {tasks[0].id: "violation_found", tasks[1].id: "no_violation"}


async def test_a_task_never_inspected_has_no_result_but_not_inspected(database: Database) -> None:
    services, _, tasks = await _drawn(database, date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    with pytest.raises(Conflict) as refused:
        await services.results.record(SUPERVISOR, tasks[0].id, outcome="no_violation", summary="未发现问题",
                                      completed_on=TODAY, request_id="r")
    assert refused.value.code == "TASK_NOT_INSPECTED"
    assert (await services.plans.task(SUPERVISOR, tasks[0].id)).result is None
    closed = await services.results.record(SUPERVISOR, tasks[0].id, outcome="not_inspected", summary="企业已停产搬迁",
                                           completed_on=TODAY, request_id="r")
    assert closed.result is not None and closed.result.outcome.value == "not_inspected"


async def test_a_result_dated_outside_the_plan_period_is_refused(database: Database) -> None:
    start, end = date(TODAY.year - 1, 1, 1), date(TODAY.year - 1, 12, 31)
    services, _, tasks = await _drawn(database, start, end)
    await _inspect(services, tasks[0], [])  # inspected today, after the plan's period: no result by itself
    assert (await services.plans.task(SUPERVISOR, tasks[0].id)).result is None
    with pytest.raises(ValidationFailed) as refused:
        await services.results.record(SUPERVISOR, tasks[0].id, outcome="no_violation", summary="未发现问题",
                                      completed_on=TODAY, request_id="r")
    assert [(e.field, e.code) for e in refused.value.errors] == [("completedOn", "OUTSIDE_PLAN_PERIOD")]
    recorded = await services.results.record(SUPERVISOR, tasks[0].id, outcome="no_violation", summary="未发现问题",
                                             completed_on=end, request_id="r")
    assert recorded.result is not None and recorded.result.completed_on == end
