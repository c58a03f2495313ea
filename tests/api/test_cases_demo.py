"""The demo data's cases, through GraphQL and the CLI's reader: each stage is there, the chains verify, the
overdue list shows what is late, and loading the demo again records nothing twice."""

from __future__ import annotations

import httpx
from conftest import gql, token_for

from core.cases.integrity import check_case
from core.cases.repository import CaseRepository
from core.cases.settings import CaseRules
from core.config import Settings
from core.db import Database
from core.demo.loader import load_demo
from core.demo.users import DEMO_PASSWORD

LIST = """query($a: String) { cases(first: 20, after: $a) { edges { node { caseId number status partyName
  decisions { decisionId kind fineYuan publishedOn balance { outstandingYuan surchargeYuan } }
  transfers { kind outcome } proposal { major } deadlines { name overdue } } } pageInfo { hasNextPage } } }"""


async def test_demo_cases_through_graphql(client: httpx.AsyncClient, database: Database, settings: Settings) -> None:
    summary = await load_demo(database, settings, enterprises=300)
    assert "5 cases" in summary
    chief = await token_for(client, "supervisor1", DEMO_PASSWORD)
    result = await gql(client, LIST, token=chief)
    cases = [e["node"] for e in result["data"]["cases"]["edges"]]
    by_status = {c["status"] for c in cases}
    assert by_status == {"CLOSED", "DECIDED", "REVIEWED", "INVESTIGATING", "FILING"}
    closed = next(c for c in cases if c["status"] == "CLOSED")
    assert closed["decisions"][0]["balance"] == {"outstandingYuan": "0.00", "surchargeYuan": "4500.00"}
    daily = next(c for c in cases if c["status"] == "DECIDED")
    assert [d["kind"] for d in daily["decisions"]] == ["PENALTY", "DAILY_PENALTY"]
    assert any(d["name"] == "payment" and d["overdue"] for d in daily["deadlines"])  # unpaid for months
    major = next(c for c in cases if c["status"] == "REVIEWED")
    assert major["proposal"]["major"] is True
    moved = next(c for c in cases if c["status"] == "INVESTIGATING")
    assert moved["transfers"] == [{"kind": "CRIME", "outcome": None}]

    overdue = await gql(client, "query { cases(first: 20, overdue: true) { edges { node { status } } } }",
                        token=chief)
    assert {e["node"]["status"] for e in overdue["data"]["cases"]["edges"]} == {"DECIDED"}
    lawyer = await token_for(client, "lawyer1", DEMO_PASSWORD)
    seen = await gql(client, "query { cases(first: 20) { edges { node { caseId } } } }", token=lawyer)
    assert len(seen["data"]["cases"]["edges"]) == 5

    repository = CaseRepository(database)
    for case in cases:
        stored = await repository.get(case["caseId"])
        assert stored is not None
        report = check_case(stored, await repository.steps(stored.id), CaseRules())
        assert report.ok, report
    versions = {c["caseId"]: (await repository.get(c["caseId"])).version for c in cases}  # type: ignore[union-attr]
    await load_demo(database, settings, enterprises=300, force=True)
    assert {c: (await repository.get(c)).version for c in versions} == versions  # type: ignore[union-attr]
