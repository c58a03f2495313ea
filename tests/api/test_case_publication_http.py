"""The public penalty feeds over HTTP: cases walked through CaseService, fetched anonymously as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
from integration.cases_support import CHIEF, OFFICER, YUAN, Flow, ago, registry, service

from core.cases.models import StepKind
from core.cases.publication import COLUMNS
from core.cases.service import CaseService
from core.db import Database


async def _published_cases(database: Database, tmp_path: Path) -> dict[str, str]:
    """A revised organisation case, an individual's case, and a decided case nobody published."""
    code = await registry(database, tmp_path)
    cases: CaseService = service(database)
    revised = Flow(cases, code)
    await revised.open(representative="张三")
    await revised.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(110))
    await revised.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="COD 超标",
                       fines=[{"violation": 0, "fine_fen": 150_000 * YUAN}], measures=["correction"])
    await revised.step(OFFICER, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
    await revised.step(CHIEF, StepKind.DECIDE, decided_on=ago(90))
    await revised.step(OFFICER, StepKind.SERVE, served_on=ago(88), method="direct")
    await revised.step(CHIEF, StepKind.PUBLISH, published_on=ago(86))
    first = await revised.step(CHIEF, StepKind.REVISE, revised_on=ago(30), outcome="changed",
                               fine_fen=100_000 * YUAN, reason="行政复议决定变更；张三（13812345678）已提交整改报告")

    individual = Flow(cases, code)
    await individual.open(party_kind="individual", representative="李小龙")
    await individual.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(109))
    await individual.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="超标",
                          fines=[{"violation": 0, "fine_fen": 120_000 * YUAN}])
    await individual.step(OFFICER, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
    await individual.step(CHIEF, StepKind.DECIDE, decided_on=ago(90))
    second = await individual.step(CHIEF, StepKind.PUBLISH, published_on=ago(80))

    hidden = Flow(cases, code)
    unpublished = await hidden.decided(fine_yuan=130_000)
    assert first.number and second.number and unpublished.number
    return {"revised": first.number, "individual": second.number, "unpublished": unpublished.number,
            "code": code}


async def test_published_decisions_as_json(database: Database, client: httpx.AsyncClient, tmp_path: Path) -> None:
    numbers = await _published_cases(database, tmp_path)
    response = await client.get("/public/penalties.json")  # no token: anyone may read it
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    decisions = response.json()["decisions"]
    assert [d["decision_number"] for d in decisions] == [numbers["individual"], numbers["revised"]]
    assert numbers["unpublished"] not in response.text
    individual, revised = decisions
    assert (individual["party_kind"], individual["party_name"], individual["representative"]) == \
        ("individual", "测*******", "李**")
    assert individual["credit_code"] == numbers["code"][:6] + "*" * 8 + numbers["code"][14:]
    assert (individual["fine_yuan"], individual["revision"], individual["published_on"]) == \
        ("120000.00", None, ago(80))
    assert revised["party_name"].startswith("测试企业") and revised["credit_code"] == numbers["code"]
    assert revised["representative"] == "张*"
    assert {k: revised[k] for k in ("fine_yuan", "original_fine_yuan", "revision", "revised_on", "revision_reason",
                                    "measures", "decided_on", "published_on")} == {
        "fine_yuan": "100000.00", "original_fine_yuan": "150000.00", "revision": "changed", "revised_on": ago(30),
        "revision_reason": "行政复议决定变更；张*（138****5678）已提交整改报告", "measures": ["correction"],
        "decided_on": ago(90), "published_on": ago(86)}
    assert revised["violations"][0]["violation_type"] == "exceed_standard"
    assert revised["violations"][0]["legal_basis"].startswith("《大气污染防治法》")
    for secret in ("张三", "李小龙", "13812345678"):
        assert secret not in response.text


async def test_published_decisions_as_csv(database: Database, client: httpx.AsyncClient, tmp_path: Path) -> None:
    numbers = await _published_cases(database, tmp_path)
    response = await client.get("/public/penalties.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="penalties.csv"' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"), newline="")))
    assert list(rows[0]) == COLUMNS
    assert [r["decision_number"] for r in rows] == [numbers["individual"], numbers["revised"]]
    revised = rows[1]
    assert (revised["fine_yuan"], revised["original_fine_yuan"], revised["revision"], revised["revised_on"]) == \
        ("100000.00", "150000.00", "changed", ago(30))
    assert revised["revision_reason"] == "行政复议决定变更；张*（138****5678）已提交整改报告"
    assert numbers["unpublished"] not in response.text


async def test_feeds_by_jurisdiction(database: Database, client: httpx.AsyncClient, tmp_path: Path) -> None:
    numbers = await _published_cases(database, tmp_path)
    xian = (await client.get("/public/penalties.json", params={"jurisdiction": "610100"})).json()["decisions"]
    assert len(xian) == 2
    province = (await client.get("/public/penalties.json", params={"jurisdiction": "610000"})).json()["decisions"]
    assert [d["decision_number"] for d in province] == [numbers["individual"], numbers["revised"]]
    baoji = await client.get("/public/penalties.csv", params={"jurisdiction": "610300"})
    assert baoji.status_code == 200 and baoji.text == "\ufeff" + ",".join(COLUMNS) + "\r\n"
    unknown = await client.get("/public/penalties.json", params={"jurisdiction": "999999"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND"
    assert (await client.get("/public/penalties.xml")).status_code == 404


async def test_public_page_lists_the_latest_decisions(database: Database, client: httpx.AsyncClient,
                                                      tmp_path: Path) -> None:
    empty = await client.get("/public")
    assert empty.status_code == 200 and "暂无公开的处罚决定" in empty.text
    numbers = await _published_cases(database, tmp_path)
    page = await client.get("/public")
    assert page.status_code == 200
    section = page.text[page.text.index('id="penalties"'):]
    assert numbers["revised"] in section and numbers["individual"] in section
    assert numbers["unpublished"] not in section
    assert "100000.00" in section and "150000.00" in section and "变更 changed" in section
    assert "张*（138****5678）" in section and "测*******" in section
    for secret in ("张三", "李小龙", "13812345678"):
        assert secret not in page.text
    assert 'href="/public/penalties.csv"' in page.text
