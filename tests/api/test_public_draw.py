"""Replacements are public with their originals (#13): every public document of a draw, from one serialiser.

The hardest case: a published plan with an inspector replacement and an object replacement (one
before publication, one after; each filed, then completed with its announced public value) and a
cancelled twin. Every public endpoint answers 200, shows each replacement with its original, number,
reason, time and public value, names no inspector outside the verification document, and the exported
document verifies with `ecoinspect verify-draw` and the reference verifier (tools/verify_draw.py).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import add_matters, gql
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.assembly import build_services
from api.cli.main import app
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.db import Database
from core.demo import generator
from core.inspections import publication
from core.registry.importing import EnterpriseImporter, import_inspector_rows
from core.registry.sources import SourceRow
from scheduler.verification import verify

CHIEF = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
TODAY = datetime.now(UTC).date()
RECUSAL, CLOSED = "回避申请已批准", "企业已关停"
PUBLISHED_DRAW = """query($p: String!) { publishedDraw(planId: $p) {
  draw { drawId seed }
  objects { creditCode enterpriseName stratum status drawnIn replaces replacedBy replacedIn }
  replacements { number kind reason createdAt inspectorsReplaced
                 object { creditCode enterpriseName } replacement { creditCode enterpriseName } } } }"""


async def _seed(database: Database, enterprises: int = 600) -> None:
    await add_matters(database)
    rows = list(generator.generate_enterprises(enterprises, today=TODAY))
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, r) for i, r in enumerate(rows, 1)), rescan=None)
    assert report.failed == 0
    inspectors = generator.generate_inspectors(enterprises, today=TODAY,
                                               enterprise_codes_sample=[r["credit_code"] for r in rows[::5]])
    await import_inspector_rows(database, (SourceRow(i, r) for i, r in enumerate(inspectors, 1)))


@pytest.fixture
async def replaced(database: Database) -> dict[str, Any]:
    """A published plan with an inspector replacement (1, before publication) and an object replacement (2)."""
    await _seed(database)
    services = build_services(database, Settings())
    plan = await services.plans.create(CHIEF, {
        "name": "2027年第一季度双随机抽查", "jurisdiction": "610000", "matters": ["STJ-WRY-01"],
        "period_start": date(TODAY.year + 1, 1, 1), "period_end": date(TODAY.year + 1, 3, 31)}, request_id="r")
    await services.draws.freeze(CHIEF, plan.id, request_id="r")
    draw = (await services.draws.draw(CHIEF, plan.id, public_value="3 1 4 1 5", request_id="r")).draw
    tasks = [t for t in await services.plans.tasks_of(CHIEF, plan.id) if t.inspectors]
    recused_task = tasks[0]
    recused = recused_task.inspectors[1]
    first = await services.redraws.file(CHIEF, plan.id, credit_code=recused_task.credit_code, kind="inspector",
                                        reason=RECUSAL, staff_id=recused, request_id="r")
    await services.redraws.complete(CHIEF, plan.id, public_value="2 7 1 8 2", request_id="r")
    await services.draws.publish(CHIEF, plan.id, request_id="r")
    closed = next(t for t in tasks if t.stratum == "general" and t.credit_code != recused_task.credit_code)
    second = await services.redraws.file(CHIEF, plan.id, credit_code=closed.credit_code, kind="object",
                                         reason=CLOSED, request_id="r")
    completed = await services.redraws.complete(CHIEF, plan.id, public_value="1 6 1 8 0", request_id="r")
    new_code = completed.record["replacement"]
    new_name = next(t.enterprise_name for t in completed.tasks if t.credit_code == new_code)
    # A twin (same jurisdiction, matter and period), frozen once the first draw is public, then cancelled.
    twin = await services.plans.create(CHIEF, {
        "name": "2027年第一季度双随机抽查（重复）", "jurisdiction": "610000", "matters": ["STJ-WRY-01"],
        "period_start": date(TODAY.year + 1, 1, 1), "period_end": date(TODAY.year + 1, 3, 31)}, request_id="r")
    await services.draws.freeze(CHIEF, twin.id, request_id="r")
    await services.draws.cancel(CHIEF, twin.id, reason="与已公开计划重复", request_id="r")
    return {"plan_id": plan.id, "draw_id": draw.id, "recused_task": recused_task.credit_code, "recused": recused,
            "closed": closed.credit_code, "closed_name": closed.enterprise_name, "new": new_code,
            "new_name": new_name, "numbers": (first.record["number"], second.record["number"]), "twin": twin.id}


def _staff_ids(document: dict[str, Any]) -> set[str]:
    return {entry["staff_id"] for entry in document["commitment"]["inspectors"]}


def _assert_no_inspector(text: str, staff: set[str]) -> None:
    """The lists and the page never name an inspector: staff ids are only in the verification document."""
    assert [s for s in staff if s in text] == []


def _check_listing(objects: list[dict[str, Any]], replacements: list[dict[str, Any]], case: dict[str, Any]) -> None:
    by_code = {o["credit_code"]: o for o in objects}
    assert by_code[case["closed"]]["status"] == "replaced"
    assert by_code[case["closed"]]["replaced_by"] == case["new"] and by_code[case["closed"]]["replaced_in"] == 2
    assert by_code[case["new"]]["status"] == "drawn" and by_code[case["new"]]["drawn_in"] == 2
    assert by_code[case["new"]]["replaces"] == case["closed"]
    assert by_code[case["recused_task"]]["status"] == "drawn" and by_code[case["recused_task"]]["drawn_in"] == 0
    assert [r["number"] for r in replacements] == [1, 2]
    inspector, obj = replacements
    assert inspector["kind"] == "inspector" and inspector["reason"] == RECUSAL
    assert inspector["object"]["credit_code"] == case["recused_task"] and inspector["replacement"] is None
    assert inspector["inspectors_replaced"] == 1
    assert obj["kind"] == "object" and obj["reason"] == CLOSED
    assert obj["object"] == {"credit_code": case["closed"], "enterprise_name": case["closed_name"]}
    assert obj["replacement"] == {"credit_code": case["new"], "enterprise_name": case["new_name"]}
    for entry in replacements:
        assert datetime.fromisoformat(entry["created_at"]).tzinfo is not None


def _reference(document: dict[str, Any], tmp_path: Path) -> bool:
    path = tmp_path / "published.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tool = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
    done = subprocess.run([sys.executable, "-I", str(tool), str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    return done.returncode == 0


async def test_every_public_document_shows_the_replacements(client: httpx.AsyncClient, database: Database,
                                                            replaced: dict[str, Any], tmp_path: Path) -> None:
    plan_id, draw_id = replaced["plan_id"], replaced["draw_id"]
    services = build_services(database, Settings())

    document_response = await client.get(f"/public/draws/{draw_id}.json")
    assert document_response.status_code == 200, document_response.text
    document = document_response.json()
    checks = verify(document)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert {c.name for c in checks} >= {"redraw 1 seed", "redraw 1 inspector", "redraw 2 seed", "redraw 2 object"}
    assert _reference(document, tmp_path)
    redraws = document["redraws"]
    assert [(r["number"], r["kind"], r["target"], r["reason"], r["public_value"]) for r in redraws] == [
        (1, "inspector", replaced["recused_task"], RECUSAL, "2 7 1 8 2"),
        (2, "object", replaced["closed"], CLOSED, "1 6 1 8 0")]
    assert redraws[0]["removed"] == [replaced["recused"]] and redraws[1]["replacement"] == replaced["new"]
    assert all(isinstance(r["filed_at"], str) and r["announcement"]["pattern"] for r in redraws)
    staff = _staff_ids(document)
    assert replaced["recused"] in staff
    # A replacement's own id leads to the document it is published in.
    assert (await client.get(f"/public/draws/{plan_id}:2.json")).json() == document

    # The serialiser: the record every other public document is made of.
    found = await services.plans.public_plan(plan_id)
    assert found is not None and found.draw is not None
    record = publication.plan_record(found.plan, found.draw)
    _check_listing(record["objects"], record["replacements"], replaced)
    assert record["plan"]["status"] == "drawn" and record["plan"]["cancellation"] is None
    assert record["draw"]["document"] == f"/public/draws/{draw_id}.json"
    _assert_no_inspector(json.dumps(record, ensure_ascii=False), staff)

    plan_json = await client.get(f"/public/plans/{plan_id}.json")
    assert plan_json.status_code == 200 and plan_json.json() == record

    objects_json = await client.get(f"/public/plans/{plan_id}/objects.json")
    assert objects_json.status_code == 200
    body = objects_json.json()
    assert body["objects"] == record["objects"] and body["replacements"] == record["replacements"]
    _assert_no_inspector(objects_json.text, staff)

    objects_csv = await client.get(f"/public/plans/{plan_id}/objects.csv")
    assert objects_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(objects_csv.text.removeprefix("\ufeff"))))
    by_code = {r["credit_code"]: r for r in rows}
    assert by_code[replaced["closed"]]["status"] == "replaced" and by_code[replaced["closed"]]["replaced_by"] == \
        replaced["new"]
    assert by_code[replaced["new"]]["replaces"] == replaced["closed"] and by_code[replaced["new"]]["drawn_in"] == "2"
    _assert_no_inspector(objects_csv.text, staff)

    page = await client.get(f"/public/plans/{plan_id}")
    assert page.status_code == 200
    for text in (replaced["new"], replaced["closed"], RECUSAL, CLOSED, 'id="replacements"'):
        assert text in page.text
    _assert_no_inspector(page.text, staff)

    search = await client.get("/public", params={"q": replaced["new_name"]})
    assert search.status_code == 200 and replaced["new"] in search.text

    commitment = await client.get(f"/public/plans/{plan_id}/commitment.json")
    assert commitment.status_code == 200 and commitment.json() == document["commitment"]
    assert "2 7 1 8 2" in page.text and 'id="commitment-document"' in page.text and 'id="announcement"' in page.text

    twin = replaced["twin"]  # the cancelled twin: public with its commitment and its reason, no draw
    for url in (f"/public/plans/{twin}", f"/public/plans/{twin}.json", f"/public/plans/{twin}/objects.json",
                f"/public/plans/{twin}/objects.csv", f"/public/plans/{twin}/commitment.json", "/public"):
        assert (await client.get(url)).status_code == 200, url
    twin_json = (await client.get(f"/public/plans/{twin}.json")).json()
    assert twin_json["plan"]["status"] == "cancelled" and twin_json["plan"]["cancellation"]["reason"]

    published = await gql(client, PUBLISHED_DRAW, {"p": plan_id})
    shown = published["data"]["publishedDraw"]
    assert shown["draw"]["drawId"] == draw_id
    _check_listing([_snake(o) for o in shown["objects"]], [_snake(r) for r in shown["replacements"]], replaced)
    _assert_no_inspector(json.dumps(published, ensure_ascii=False), staff)


async def test_plan_export_and_verify_draw_after_replacements(database: Database, db_server: SecantusDBServer,
                                                              replaced: dict[str, Any], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              client: httpx.AsyncClient) -> None:
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", database.db.name)
    output = tmp_path / "draw.json"
    runner = CliRunner()
    # The command runs its own event loop: give it a thread of its own.
    exported = await asyncio.to_thread(runner.invoke, app, ["plan", "export", replaced["plan_id"],
                                                            "--output", str(output)])
    assert exported.exit_code == 0, exported.output
    verified = await asyncio.to_thread(runner.invoke, app, ["verify-draw", str(output)])
    assert verified.exit_code == 0, verified.output
    assert "OK   redraw 2 object" in verified.output and "OK   redraw 1 inspector" in verified.output
    published = (await client.get(f"/public/draws/{replaced['draw_id']}.json")).json()
    assert json.loads(output.read_text(encoding="utf-8")) == published


async def test_redraw_numbers_are_the_servers(database: Database, replaced: dict[str, Any],
                                              client: httpx.AsyncClient) -> None:
    """Numbered in sequence by the server; the API has no way to choose one."""
    assert replaced["numbers"] == (1, 2)
    introspected = await gql(client, '{ __type(name: "FileRedrawInput") { inputFields { name } } }')
    names = {f["name"] for f in introspected["data"]["__type"]["inputFields"]}
    assert names == {"planId", "creditCode", "kind", "reason", "staffId"}


def _snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {"".join("_" + c.lower() if c.isupper() else c for c in k): _snake(v) for k, v in value.items()}
    return value


async def test_a_replacement_filed_through_graphql_and_completed_from_the_cli(
        database: Database, db_server: SecantusDBServer, replaced: dict[str, Any], users: dict[str, str],
        client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Filing announces the next event (published at once, pending); completing needs exactly that value."""
    from conftest import token_for

    token = await token_for(client, "prov_supervisor")
    plan_id = replaced["plan_id"]
    tasks = await gql(client, "query($p: String!) { planTasks(planId: $p) { creditCode stratum status } }",
                      {"p": plan_id}, token=token)
    target = next(t for t in tasks["data"]["planTasks"] if t["stratum"] == "general" and t["status"] == "ASSIGNED"
                  and t["creditCode"] != replaced["new"])
    filed = await gql(client, "mutation($p: String!, $c: String!) { fileRedraw(input: {planId: $p, creditCode: $c, "
                              "kind: OBJECT, reason: \"企业已注销\"}) { redrawId userErrors { code } } }",
                      {"p": plan_id, "c": target["creditCode"]}, token=token)
    assert filed["data"]["fileRedraw"] == {"redrawId": f"{plan_id}:3", "userErrors": []}
    pending = await gql(client, "query($p: String!) { publishedDraw(planId: $p) { replacements { number status "
                                "publicValue announcement { source pattern earliestDraw } } } }", {"p": plan_id})
    third = pending["data"]["publishedDraw"]["replacements"][2]
    assert third["number"] == 3 and third["status"] == "filed" and third["publicValue"] is None
    assert third["announcement"]["pattern"] == "[0-9] [0-9] [0-9] [0-9] [0-9]"
    document = (await client.get(f"/public/draws/{replaced['draw_id']}.json")).json()
    assert all(c.ok for c in verify(document)) and _reference(document, tmp_path)  # pending: nothing drawn yet

    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", database.db.name)
    runner = CliRunner()
    other = await asyncio.to_thread(runner.invoke, app, ["plan", "complete-redraw", plan_id, "--public-value", "99999"])
    assert other.exit_code == 1 and "[PUBLIC_VALUE_FORMAT]" in other.output, other.output
    done = await asyncio.to_thread(runner.invoke, app, ["plan", "complete-redraw", plan_id,
                                                        "--public-value", "9 9 9 9 9"])
    assert done.exit_code == 0 and "replacement 3: object" in done.output, done.output
    document = (await client.get(f"/public/draws/{replaced['draw_id']}.json")).json()
    assert all(c.ok for c in verify(document)) and _reference(document, tmp_path)
    objects = (await client.get(f"/public/plans/{plan_id}/objects.json")).json()["objects"]
    assert next(o for o in objects if o["credit_code"] == target["creditCode"])["replaced_in"] == 3
