"""A plan names matters of the random-check item list: unknown codes and targeted-task codes are refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from conftest import add_matters

from api.assembly import build_services
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.db import Database
from core.errors import ValidationFailed

SUPERVISOR = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
NEXT_YEAR = datetime.now(UTC).year + 1


def plan_input(**extra: Any) -> dict[str, Any]:
    return {"name": "抽查", "jurisdiction": "610000", "matters": ["STJ-WRY-01"],
            "period_start": date(NEXT_YEAR, 1, 1), "period_end": date(NEXT_YEAR, 3, 31), **extra}


@pytest.mark.parametrize("matters", [["NOPE"], ["STJ-WRY-01", "NOPE"], ["TGT-POWER"], ["TGT-ALERT"]])
async def test_create_plan_refuses_matters_off_the_list(database: Database, matters: list[str]) -> None:
    await add_matters(database)
    services = build_services(database, Settings())
    with pytest.raises(ValidationFailed) as caught:
        await services.plans.create(SUPERVISOR, plan_input(matters=matters), request_id="r")
    assert [(e.field, e.code) for e in caught.value.errors] == [("matters", "UNKNOWN_MATTER")]
    assert await database["plans"].count_documents({}) == 0


async def test_update_plan_refuses_an_unknown_matter(database: Database) -> None:
    await add_matters(database)
    services = build_services(database, Settings())
    plan = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")
    with pytest.raises(ValidationFailed) as caught:
        await services.plans.update(SUPERVISOR, plan.id, version=plan.version, data={"matters": ["NOPE"]},
                                    request_id="r")
    assert caught.value.errors[0].code == "UNKNOWN_MATTER"
    assert (await services.plans.get(SUPERVISOR, plan.id)).matters == ["STJ-WRY-01"]


async def test_a_plan_of_listed_matters_is_created(database: Database) -> None:
    await add_matters(database)
    plan = await build_services(database, Settings()).plans.create(
        SUPERVISOR, plan_input(matters=["STJ-WRY-01", "STJ-WRY-02"]), request_id="r")
    assert plan.matters == ["STJ-WRY-01", "STJ-WRY-02"]


async def test_a_template_of_unknown_matters_is_refused(database: Database) -> None:
    await add_matters(database)
    plans = build_services(database, Settings()).plans
    with pytest.raises(ValueError, match="NOPE"):
        await plans.add_template({"name": "季度抽查", "jurisdiction": "610100", "matters": ["NOPE"]}, "quarterly")
    assert await database["plan_templates"].count_documents({}) == 0
