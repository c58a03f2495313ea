"""Plans end to end on the real server: freeze, draw, tasks, export, verification, concurrency."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import add_matters

from api.assembly import build_services
from api.context import Services
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.db import Database
from core.demo import generator
from core.errors import Conflict, ValidationFailed
from core.inspections.models import PlanStatus
from core.registry.importing import EnterpriseImporter, import_inspector_rows
from core.registry.sources import SourceRow
from scheduler.verification import verify

SUPERVISOR = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
XIAN_SUPERVISOR = Viewer(username="xian", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))
TODAY = datetime.now(UTC).date()
VALUE = "3 1 4 1 5"  # the announced source's result, in its canonical format


async def seed(database: Database, enterprises: int = 800) -> None:
    await add_matters(database, "STJ-FS-02")
    rows = list(generator.generate_enterprises(enterprises, today=TODAY))
    importer = EnterpriseImporter(database, actor="seed")
    report = await importer.run((SourceRow(i, r) for i, r in enumerate(rows, 1)), rescan=None)
    assert report.failed == 0
    inspectors = generator.generate_inspectors(enterprises, today=TODAY,
                                               enterprise_codes_sample=[r["credit_code"] for r in rows[::5]])
    await import_inspector_rows(database, (SourceRow(i, r) for i, r in enumerate(inspectors, 1)))


def services_for(database: Database, settings: Settings | None = None) -> Services:
    """The services as the app assembles them (the draw engine from scheduler/, the classifier from rules/)."""
    return build_services(database, settings or Settings())


def plan_input(**extra: Any) -> dict[str, Any]:
    return {"name": "2027年第一季度双随机抽查", "jurisdiction": "610000", "matters": ["STJ-WRY-01"],
            "period_start": date(TODAY.year + 1, 1, 1), "period_end": date(TODAY.year + 1, 3, 31), **extra}


@pytest.fixture
async def frozen(database: Database) -> str:
    await seed(database)
    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")
    frozen = await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    assert frozen.status is PlanStatus.FROZEN and frozen.commitment and frozen.population_size == 800
    return plan.id


async def test_draw_creates_staffed_tasks_and_a_verifiable_document(database: Database, frozen: str) -> None:
    services = services_for(database)
    drawn = await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r")
    draw = drawn.draw
    plan = await services.plans.get(SUPERVISOR, frozen)
    assert plan.status is PlanStatus.DRAWN and drawn.plan == plan
    assert draw.drawn_count == sum(plan.quotas.values())
    tasks = await services.plans.tasks_of(SUPERVISOR, frozen)
    assert len(tasks) == draw.drawn_count
    staffed = [t for t in tasks if t.inspectors]
    assert len(staffed) == draw.staffed_count and staffed
    for task in staffed:
        assert len(task.inspectors) == 2 and len(set(task.inspectors)) == 2 and task.lead == task.inspectors[0]
    document = await services.draws.document(SUPERVISOR, frozen)
    checks = verify(document)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert await services.draws.published_document(draw.id) is None  # not for the public before it is published
    await services.draws.publish(SUPERVISOR, frozen, request_id="r")
    assert await services.draws.published_document(draw.id) == document


@pytest.mark.parametrize("tamper", ["object", "weight", "stratum", "seed", "inspector", "public_value", "secret"])
async def test_tampered_documents_are_rejected(database: Database, frozen: str, tamper: str) -> None:
    services = services_for(database)
    await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r")
    original = await services.draws.document(SUPERVISOR, frozen)
    doc = copy.deepcopy(original)
    stratum = next(k for k, v in doc["drawn"].items() if v)
    rows = doc["commitment"]["population"]["rows"]
    if tamper == "object":
        drawn = set(doc["drawn"][stratum])
        outsider = next(r[0] for r in rows if r[0] not in drawn and r[1] == stratum)
        doc["drawn"][stratum][0] = outsider
    elif tamper == "weight":
        rows[0][6] = "9.000000"
    elif tamper == "stratum":
        row = rows[3]
        row[1] = "special" if row[1] != "special" else "general"
    elif tamper == "seed":
        doc["seed"] = "0" * 64
    elif tamper == "inspector":
        team = next(iter(doc["teams"].values()))
        team[0] = "SX-999999-9999"
    elif tamper == "public_value":
        doc["public_value"] = "3 1 4 1 6"
    elif tamper == "secret":
        doc["secret"] = "ab" * 32
    assert not all(c.ok for c in verify(doc))
    assert all(c.ok for c in verify(original))


async def test_public_search_finds_published_draws_only(database: Database, frozen: str) -> None:
    services = services_for(database)
    await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r")
    task = (await services.plans.tasks_of(SUPERVISOR, frozen))[0]
    assert (await services.plans.search_published(task.credit_code))[1] == []  # the draw is not published yet
    await services.draws.publish(SUPERVISOR, frozen, request_id="r")
    plans, hits = await services.plans.search_published(f"  {task.credit_code.lower()} ")
    assert [p.id for p in plans] == [frozen]
    assert [(h["plan_id"], h["code"], h["name"], h["status"]) for h in hits] == [
        (frozen, task.credit_code, task.enterprise_name, "drawn")]
    assert [p.id for p in (await services.plans.search_published("第一季度"))[0]] == [frozen]  # by the plan's name
    assert await services.plans.search_published("no such enterprise") == ([], [])


async def test_two_concurrent_draws_make_one(database: Database, frozen: str) -> None:
    services = services_for(database)
    results = await asyncio.gather(services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="a"),
                                   services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="b"), return_exceptions=True)
    draws = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(draws) == 1, results
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and errors[0].code == "ALREADY_DRAWN"
    assert await database["draws"].count_documents({"plan_id": frozen}) == 1
    assert await database["tasks"].count_documents({"plan_id": frozen}) == draws[0].draw.drawn_count


async def test_drawing_twice_and_editing_a_frozen_plan_are_refused(database: Database, frozen: str) -> None:
    services = services_for(database)
    with pytest.raises(Conflict) as caught:
        await services.plans.update(SUPERVISOR, frozen, version=2, data={"name": "x"}, request_id="r")
    assert caught.value.code == "PLAN_NOT_DRAFT"
    await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r")
    with pytest.raises(Conflict) as caught:
        await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r")
    assert caught.value.code == "ALREADY_DRAWN"


async def test_failed_draw_writes_nothing(database: Database, frozen: str) -> None:
    services = services_for(database)
    # A task with this id already exists, so inserting the draw's tasks fails inside the transaction.
    plan = await services.plans.get(SUPERVISOR, frozen)
    committed = json.loads(await services.plans.repository.commitment(frozen) or b"{}")
    first_code = next(r[0] for r in committed["population"]["rows"] if r[1] == "special")
    await database["tasks"].insert_one({"_id": f"{frozen}:0:{first_code}", "draw_id": "other",
                                        "credit_code": "x", "created_at": datetime.now(UTC)})
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure; what matters is what was written
        await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r", inspection_date=plan.period_start)
    after = await services.plans.get(SUPERVISOR, frozen)
    assert after.status is PlanStatus.FROZEN
    assert await database["draws"].count_documents({}) == 0
    assert await database["tasks"].count_documents({}) == 1


@pytest.mark.parametrize(("data", "code"), [
    ({"ratios": {"key": 1.5}}, "INVALID_VALUE"),
    ({"tier_weights": {"red": 0}}, "INVALID_VALUE"),
    ({"jurisdiction": "999999"}, "UNKNOWN_JURISDICTION"),
    ({"period_end": date(2000, 1, 1)}, "INVALID_VALUE"),
])
async def test_bad_plan_input(database: Database, data: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await services_for(database).plans.create(SUPERVISOR, plan_input(**data), request_id="r")
    assert caught.value.errors[0].code == code
    assert await database["plans"].count_documents({}) == 0


async def test_empty_population_is_refused(database: Database) -> None:
    await add_matters(database)
    services = services_for(database)
    plan = await services.plans.create(XIAN_SUPERVISOR, plan_input(jurisdiction="610100"), request_id="r")
    with pytest.raises(ValidationFailed) as caught:
        await services.draws.freeze(XIAN_SUPERVISOR, plan.id, request_id="r")
    assert caught.value.errors[0].code == "EMPTY_POPULATION"
    assert (await services.plans.get(XIAN_SUPERVISOR, plan.id)).status is PlanStatus.DRAFT


async def test_replacements_are_filed_then_completed_and_verifiable(database: Database, frozen: str) -> None:
    services = services_for(database)
    draw = (await services.draws.draw(SUPERVISOR, frozen, public_value=VALUE, request_id="r")).draw
    tasks = [t for t in await services.plans.repository.tasks_of_draw(draw.id) if t.inspectors]
    target = tasks[0]
    recused = target.inspectors[1]
    redraws = services.redraws
    with pytest.raises(ValidationFailed):
        await redraws.file(SUPERVISOR, frozen, credit_code=target.credit_code, kind="inspector", reason=" ",
                           staff_id=recused, request_id="r")
    with pytest.raises(Conflict) as caught:  # protocol v2 plans have no one-step replacement
        await redraws.redraw(SUPERVISOR, frozen, credit_code=target.credit_code, kind="inspector", reason="x",
                             staff_id=recused, request_id="r")
    assert caught.value.code == "WRONG_STATUS"
    filed = await redraws.file(SUPERVISOR, frozen, credit_code=target.credit_code, kind="inspector",
                               reason="回避申请已批准", staff_id=recused, request_id="r")
    assert filed.record["number"] == 1 and filed.record["public_value"] is None
    assert filed.record["announcement"]["pattern"] == "[0-9] [0-9] [0-9] [0-9] [0-9]"
    with pytest.raises(Conflict) as caught:  # one replacement pending at a time
        await redraws.file(SUPERVISOR, frozen, credit_code=tasks[1].credit_code, kind="object", reason="关停",
                           request_id="r")
    assert caught.value.code == "REDRAW_PENDING"
    for bad, code in (("", "PUBLIC_VALUE_REQUIRED"), ("27182", "PUBLIC_VALUE_FORMAT")):
        with pytest.raises(ValidationFailed) as refused:
            await redraws.complete(SUPERVISOR, frozen, public_value=bad, request_id="r")
        assert refused.value.errors[0].code == code
    first = (await redraws.complete(SUPERVISOR, frozen, public_value="2 7 1 8 2", request_id="r")).record
    assert recused not in first["team"] and first["team"][0] == target.inspectors[0]
    special = next(t for t in tasks if t.stratum == "special")
    with pytest.raises(Conflict) as caught:  # every special object is drawn already: none is left
        await redraws.file(SUPERVISOR, frozen, credit_code=special.credit_code, kind="object",
                           reason="企业已关停", request_id="r")
    assert caught.value.code == "NO_REPLACEMENT"
    closed = next(t for t in tasks if t.stratum == "general" and t.credit_code != target.credit_code)
    await redraws.file(SUPERVISOR, frozen, credit_code=closed.credit_code, kind="object", reason="企业已关停",
                       request_id="r")
    object_redraw = await redraws.complete(SUPERVISOR, frozen, public_value="1 6 1 8 0", request_id="r")
    second = object_redraw.record
    assert second["number"] == 2
    assert {t.credit_code for t in object_redraw.tasks} == {closed.credit_code, second["replacement"]}
    assert second["replacement"] not in {t.credit_code for t in tasks}
    after = {t.credit_code: t for t in await services.plans.tasks_of(SUPERVISOR, frozen)}
    assert after[target.credit_code].inspectors == first["team"]
    assert after[target.credit_code].drawn_inspectors == target.inspectors  # the draw itself is never edited
    assert after[closed.credit_code].status.value == "replaced"
    assert after[second["replacement"]].draw_id == second["_id"]
    document = await services.draws.document(SUPERVISOR, frozen)
    checks = verify(document)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert {c.name for c in checks} >= {"redraw 1 inspector", "redraw 2 object"}
    tampered = copy.deepcopy(document)
    entry = next(r for r in tampered["redraws"] if r["number"] == 2)
    entry["replacement"] = next(r[0] for r in document["commitment"]["population"]["rows"]
                                if r[1] == closed.stratum and r[0] not in after)
    assert not all(c.ok for c in verify(tampered))


async def test_capacity_and_order_of_steps(database: Database) -> None:
    await seed(database, 300)
    services = services_for(database)
    plans, draws = services.plans, services.draws
    draft = await plans.create(SUPERVISOR, plan_input(), request_id="r")
    with pytest.raises(Conflict) as caught:  # a public value before the freeze (and its commitment) is refused
        await draws.draw(SUPERVISOR, draft.id, public_value="lottery", request_id="r")
    assert caught.value.code == "PLAN_NOT_FROZEN"
    tight = await plans.create(SUPERVISOR, plan_input(max_tasks_per_inspector=1, ratios={"general": 1.0}),
                               request_id="r")
    with pytest.raises(ValidationFailed) as refused:  # known from the commitment: refused at freeze, before any draw
        await draws.freeze(SUPERVISOR, tight.id, request_id="r")
    assert refused.value.errors[0].code == "INSUFFICIENT_CAPACITY"
    assert await database["tasks"].count_documents({}) == 0
    assert (await plans.get(SUPERVISOR, tight.id)).status is PlanStatus.DRAFT
