"""CSV downloads neutralise cells a spreadsheet would run as a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import httpx
import pytest
from conftest import add_matters

from api.assembly import build_services
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.csvsafe import TRIGGERS, render, safe_cell
from core.db import Database
from core.demo import generator
from core.registry.importing import EnterpriseImporter, import_inspector_rows
from core.registry.sources import SourceRow

CHIEF = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
# What an attacker registers as an enterprise name or types as a result summary. Names pass the
# registry (which strips surrounding whitespace); tab and CR reach the CSV through the summary.
HOSTILE_NAMES = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                 "＝HYPERLINK(\"http://evil\")"]
HOSTILE_SUMMARIES = ["\t=1+1", "\r=1+1", "=HYPERLINK(\"http://evil\",\"x\")", "-5", "@A1"]


@pytest.fixture
async def published_plan(database: Database) -> str:
    today = datetime.now(UTC).date()
    rows = list(generator.generate_enterprises(120, today=today))
    for index, row in enumerate(rows):
        row["name"] = HOSTILE_NAMES[index % len(HOSTILE_NAMES)]
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, r) for i, r in enumerate(rows, 1)), rescan=None)
    assert report.failed == 0
    inspectors = generator.generate_inspectors(120, today=today,
                                               enterprise_codes_sample=[r["credit_code"] for r in rows[::5]])
    await import_inspector_rows(database, (SourceRow(i, r) for i, r in enumerate(inspectors, 1)))
    await add_matters(database)
    services = build_services(database, Settings())
    plan = await services.plans.create(CHIEF, {
        "name": "2027年第一季度双随机抽查", "jurisdiction": "610000", "matters": ["STJ-WRY-01"],
        "period_start": date(today.year, 1, 1), "period_end": date(today.year, 12, 31)}, request_id="r")
    await services.draws.freeze(CHIEF, plan.id, request_id="r")
    await services.draws.draw(CHIEF, plan.id, public_value="1 2 3 4 5", request_id="r")
    await services.draws.publish(CHIEF, plan.id, request_id="r")
    results = services.results
    tasks = [t for t in await services.plans.tasks_of(CHIEF, plan.id) if t.status.value == "assigned"]
    # As if inspected from the field (a result needs a submitted inspection).
    await database["tasks"].update_many({"_id": {"$in": [t.id for t in tasks]}}, {"$set": {"status": "submitted"}})
    for task, summary in zip(tasks, HOSTILE_SUMMARIES, strict=False):
        await results.record(CHIEF, task.id, outcome="no_violation", summary=summary,
                             completed_on=today, request_id="r")
    assert await results.publish(CHIEF, plan.id, request_id="r") == min(len(tasks), len(HOSTILE_SUMMARIES))
    return plan.id


def _cells(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize("what", ["objects", "results"])
async def test_public_csv_downloads_neutralise_formula_cells(client: httpx.AsyncClient, published_plan: str,
                                                             what: str) -> None:
    response = await client.get(f"/public/plans/{published_plan}/{what}.csv")
    assert response.status_code == 200
    rows = _cells(response.text)
    assert len(rows) > 1
    cells = [cell for row in rows[1:] for cell in row]
    assert [c for c in cells if c.startswith(TRIGGERS)] == []
    names = {row[rows[0].index("enterprise_name")] for row in rows[1:]}
    assert names and names <= {"'" + name for name in HOSTILE_NAMES}
    if what == "results":
        summaries = {row[rows[0].index("summary")] for row in rows[1:]}
        assert summaries == {"'" + s for s in HOSTILE_SUMMARIES}


async def test_json_downloads_keep_the_text_as_stored(client: httpx.AsyncClient, published_plan: str) -> None:
    # Only CSV is neutralised: JSON consumers get the exact stored value.
    body = (await client.get(f"/public/plans/{published_plan}/objects.json")).json()
    assert {o["enterprise_name"] for o in body["objects"]} <= set(HOSTILE_NAMES)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "\nx", "＝1", "－1", "＋1", "＠x"])
def test_text_cells_starting_with_a_trigger_are_prefixed(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "expected"), [(-5, -5), (-2.5, -2.5), (0, 0), (None, ""), (True, "true"),
                                                 ("plain", "plain"), ("'quoted", "'quoted"), ("a=b", "a=b")])
def test_numbers_from_the_code_and_harmless_text_stay_as_they_are(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_render_writes_a_header_and_neutralised_rows() -> None:
    body = render(["name", "delta"], [{"name": "=1+1", "delta": -3}, {"name": "ok", "delta": 4}])
    assert _cells(body) == [["name", "delta"], ["'=1+1", "-3"], ["ok", "4"]]
