"""No plan shopping (#13): a twin of an open frozen plan is refused at freeze; a frozen plan ends drawn or cancelled.

"Open" means frozen or drawn, its draw not published yet, and not cancelled. Cancelling is a recorded,
reasoned act: the plan stays public with its commitment and the reason.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
import pytest
from conftest import gql, token_for
from secantus import SecantusDBServer
from test_draws import SUPERVISOR, TODAY, XIAN_SUPERVISOR, plan_input, seed
from typer.testing import CliRunner

from api.assembly import build_services
from api.cli.main import app
from api.context import Services
from core.config import Settings
from core.db import Database
from core.errors import Conflict, DomainError, ValidationFailed
from core.inspections import publication
from core.inspections.models import PlanStatus, TaskStatus

NEXT = TODAY.year + 1


@pytest.fixture
async def services(database: Database) -> Services:
    await seed(database, 300)
    return build_services(database, Settings())


async def _frozen(services: Services, **extra: Any) -> str:
    plan = await services.plans.create(SUPERVISOR, plan_input(**extra), request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    return plan.id


async def _refused_freeze(services: Services, **extra: Any) -> str:
    twin = await services.plans.create(SUPERVISOR, plan_input(**extra), request_id="r")
    with pytest.raises(Conflict) as caught:
        await services.draws.freeze(SUPERVISOR, twin.id, request_id="r")
    assert caught.value.code == "OVERLAPPING_PLAN"
    assert (await services.plans.get(SUPERVISOR, twin.id)).status is PlanStatus.DRAFT
    return twin.id


async def test_a_twin_of_an_open_plan_is_refused_at_freeze(services: Services, database: Database) -> None:
    first = await _frozen(services)
    twin = await _refused_freeze(services)  # identical
    await _refused_freeze(services, matters=["STJ-WRY-01", "STJ-FS-02"],  # shares a matter, overlapping period
                          period_start=date(NEXT, 3, 1), period_end=date(NEXT, 6, 30))
    await services.draws.draw(SUPERVISOR, first, public_value="1 2 3 4 5", request_id="r")
    await _refused_freeze(services)  # drawn but not published: still open
    assert await database["plan_secrets"].count_documents({}) == 1 and await database["draws"].count_documents({}) == 1
    # Not twins: another jurisdiction, other matters, a period that does not overlap.
    await _frozen(services, jurisdiction="610300")
    await _frozen(services, matters=["STJ-FS-02"])
    await _frozen(services, period_start=date(NEXT, 4, 1), period_end=date(NEXT, 6, 30))
    await services.draws.publish(SUPERVISOR, first, request_id="r")
    await services.draws.freeze(SUPERVISOR, twin, request_id="r")  # the first is public now: both are seen


async def test_two_twins_frozen_at_once_make_one(services: Services) -> None:
    plans = [await services.plans.create(SUPERVISOR, plan_input(), request_id="r") for _ in range(2)]
    results = await asyncio.gather(*(services.draws.freeze(SUPERVISOR, p.id, request_id=p.id) for p in plans),
                                   return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError) and errors[0].code == "OVERLAPPING_PLAN", results
    statuses = sorted([(await services.plans.get(SUPERVISOR, p.id)).status.value for p in plans])
    assert statuses == ["draft", "frozen"]


async def test_cancelling_is_a_recorded_reasoned_public_act(services: Services, database: Database) -> None:
    first = await _frozen(services)
    with pytest.raises(ValidationFailed) as caught:
        await services.draws.cancel(SUPERVISOR, first, reason="  ", request_id="r")
    assert caught.value.code == "REASON_REQUIRED"
    with pytest.raises(DomainError) as outside:
        await services.draws.cancel(XIAN_SUPERVISOR, first, reason="x", request_id="r")
    assert outside.value.code == "NOT_FOUND"
    draft = await services.plans.create(SUPERVISOR, plan_input(name="草稿"), request_id="r")
    with pytest.raises(Conflict) as not_frozen:
        await services.draws.cancel(SUPERVISOR, draft.id, reason="不需要了", request_id="r")
    assert not_frozen.value.code == "WRONG_STATUS"

    frozen = await services.plans.get(SUPERVISOR, first)
    cancelled = await services.draws.cancel(SUPERVISOR, first, reason="辖区调整，计划合并", request_id="req-1")
    assert cancelled.status is PlanStatus.CANCELLED and cancelled.cancellation_reason == "辖区调整，计划合并"
    assert cancelled.cancelled_by == "chief" and cancelled.cancelled_at is not None
    assert cancelled.commitment == frozen.commitment and cancelled.population_hash == frozen.population_hash
    audit = await database["audit"].find_one({"action": "cancelPlan", "target": f"plan:{first}"})
    assert audit is not None and audit["detail"]["reason"] == "辖区调整，计划合并" and audit["request_id"] == "req-1"
    with pytest.raises(Conflict) as again:
        await services.draws.cancel(SUPERVISOR, first, reason="twice", request_id="r")
    assert again.value.code == "WRONG_STATUS"
    with pytest.raises(Conflict) as drawn:
        await services.draws.draw(SUPERVISOR, first, public_value="1 2 3 4 5", request_id="r")
    assert drawn.value.code == "WRONG_STATUS"

    public = await services.plans.public_plan(first)  # still public, with its commitment and the reason
    assert public is not None and public.draw is None
    record = publication.plan_record(public.plan, None)
    assert record["plan"]["status"] == "cancelled" and record["plan"]["commitment"] == frozen.commitment
    assert record["plan"]["cancellation"]["reason"] == "辖区调整，计划合并"
    assert first in {p.id for p in await services.plans.published()}
    await _frozen(services)  # the twin may now be frozen


async def test_cancelling_a_drawn_plan_publishes_its_draw(services: Services) -> None:
    first = await _frozen(services)
    draw = (await services.draws.draw(SUPERVISOR, first, public_value="1 2 3 4 5", request_id="r")).draw
    assert await services.draws.published_document(draw.id) is None
    await services.draws.cancel(SUPERVISOR, first, reason="上级部署专项检查，本计划取消", request_id="r")
    assert {t.status for t in await services.plans.tasks_of(SUPERVISOR, first)} == {TaskStatus.CANCELLED}
    document = await services.draws.published_document(draw.id)  # what was drawn, then abandoned, is public
    assert document is not None and document["public"]["plan"]["status"] == "cancelled"
    assert document["public"]["plan"]["cancellation"]["reason"] == "上级部署专项检查，本计划取消"
    task = (await services.plans.tasks_of(SUPERVISOR, first))[0]
    with pytest.raises(Conflict) as no_redraw:
        await services.redraws.file(SUPERVISOR, first, credit_code=task.credit_code, kind="object",
                                      reason="企业已关停", request_id="r")
    assert no_redraw.value.code == "WRONG_STATUS"
    with pytest.raises(Conflict) as no_result:
        await services.results.record(SUPERVISOR, task.id, outcome="no_violation", summary="未发现问题",
                                      completed_on=TODAY, request_id="r")
    assert no_result.value.code == "TASK_NOT_ACTIVE"


async def test_cancel_from_the_command_line(services: Services, database: Database, db_server: SecantusDBServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    plan_id = await _frozen(services)
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", database.db.name)
    runner = CliRunner()  # the command runs its own event loop: give it a thread of its own
    refused = await asyncio.to_thread(runner.invoke, app, ["plan", "cancel", plan_id, "--reason", " "])
    assert refused.exit_code == 1 and "[REASON_REQUIRED]" in refused.output
    done = await asyncio.to_thread(runner.invoke, app, ["plan", "cancel", plan_id, "--reason", "与专项检查重复"])
    assert done.exit_code == 0, done.output
    plan = await services.plans.get(SUPERVISOR, plan_id)
    assert plan.status is PlanStatus.CANCELLED and plan.cancellation_reason == "与专项检查重复"


async def test_cancel_plan_in_graphql_and_on_the_public_page(client: httpx.AsyncClient, users: dict[str, str],
                                                             database: Database) -> None:
    await seed(database, 200)
    token = await token_for(client, "prov_supervisor")
    year = NEXT
    fields = {"name": "全省抽查", "jurisdiction": "610000", "matters": ["STJ-WRY-01"],
              "periodStart": f"{year}-01-01", "periodEnd": f"{year}-03-31"}
    ids = []
    for _ in range(2):
        created = await gql(client, "mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { planId } } }",
                            {"i": fields}, token=token)
        ids.append(created["data"]["createPlan"]["plan"]["planId"])
    freeze = "mutation($p: String!) { freezePlan(input: {planId: $p}) { plan { status } userErrors { code } } }"
    assert (await gql(client, freeze, {"p": ids[0]}, token=token))["data"]["freezePlan"]["userErrors"] == []
    refused = await gql(client, freeze, {"p": ids[1]}, token=token)
    assert refused["data"]["freezePlan"]["userErrors"] == [{"code": "OVERLAPPING_PLAN"}]
    cancel = ("mutation($p: String!, $r: String!) { cancelPlan(input: {planId: $p, reason: $r}) "
              "{ plan { status cancellationReason cancelledAt commitment } userErrors { code } } }")
    empty = await gql(client, cancel, {"p": ids[0], "r": ""}, token=token)
    assert empty["data"]["cancelPlan"]["userErrors"] == [{"code": "REASON_REQUIRED"}]
    done = (await gql(client, cancel, {"p": ids[0], "r": "与省级专项重复"}, token=token))["data"]["cancelPlan"]
    assert done["userErrors"] == [] and done["plan"]["status"] == "CANCELLED"
    assert done["plan"]["cancellationReason"] == "与省级专项重复" and done["plan"]["cancelledAt"]
    assert (await gql(client, freeze, {"p": ids[1]}, token=token))["data"]["freezePlan"]["userErrors"] == []
    listed = await gql(client, "{ publishedPlans { planId status cancellationReason commitment } }")
    shown = {p["planId"]: p for p in listed["data"]["publishedPlans"]}
    assert shown[ids[0]]["status"] == "CANCELLED" and shown[ids[0]]["cancellationReason"] == "与省级专项重复"
    assert shown[ids[0]]["commitment"] == done["plan"]["commitment"]
    page = await client.get(f"/public/plans/{ids[0]}")
    assert page.status_code == 200 and "与省级专项重复" in page.text and 'id="cancelled"' in page.text
    assert done["plan"]["commitment"] in page.text
    plan_json = (await client.get(f"/public/plans/{ids[0]}.json")).json()
    assert plan_json["plan"]["status"] == "cancelled" and plan_json["plan"]["cancellation"]["reason"] == "与省级专项重复"
    assert plan_json["plan"]["commitment"] == done["plan"]["commitment"] and plan_json["draw"] is None
    index = await client.get("/public")
    assert "cancelled" in index.text
