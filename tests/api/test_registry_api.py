"""Registry through GraphQL: paging, filters, updates with versions, bad input, audit."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import enterprise_row, gql, token_for

from core.db import Database
from core.registry.importing import import_enterprises
from core.registry.rows import ENTERPRISE_COLUMNS

PAGE = """query($first: Int!, $after: String, $filter: EnterpriseFilter) {
  enterprises(first: $first, after: $after, filter: $filter) {
    edges { cursor node { creditCode jurisdiction credit { tier } } }
    pageInfo { hasNextPage endCursor } } }"""
UPDATE = """mutation($input: UpdateEnterpriseInput!) { updateEnterprise(input: $input) {
  enterprise { creditCode version name location { lat lon } credit { tier } }
  userErrors { field code message } } }"""


async def _seed(database: Database, tmp_path: Path, rows: list[dict[str, str]]) -> None:
    path = tmp_path / "seed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    report = await import_enterprises(database, path, actor="seed")
    assert report.failed == 0


@pytest.fixture
async def registry(database: Database, users: dict[str, str], tmp_path: Path) -> list[dict[str, str]]:
    rows = []
    for i in range(1, 61):
        jurisdiction = ["610100", "610300", "610403"][i % 3]
        tier = ["green", "blue", "yellow", "red"][i % 4]
        rows.append(enterprise_row(f"91{jurisdiction}MC{i:07d}", jurisdiction=jurisdiction, credit_tier=tier))
    await _seed(database, tmp_path, rows)
    return rows


async def _all_pages(client: httpx.AsyncClient, token: str, first: int, filt: dict[str, Any] | None) -> list[str]:
    codes, after = [], None
    while True:
        result = await gql(client, PAGE, {"first": first, "after": after, "filter": filt}, token=token)
        page = result["data"]["enterprises"]
        codes += [e["node"]["creditCode"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return codes
        after = page["pageInfo"]["endCursor"]


async def test_keyset_pages_cover_everything_once(client: httpx.AsyncClient, registry: list[dict[str, str]]) -> None:
    token = await token_for(client, "prov_supervisor")
    codes = await _all_pages(client, token, 7, None)
    assert codes == [r["credit_code"] for r in registry]


async def test_filters_and_scope(client: httpx.AsyncClient, registry: list[dict[str, str]]) -> None:
    province = await token_for(client, "prov_supervisor")
    red_baoji = await _all_pages(client, province, 3, {"jurisdiction": "610300", "creditTier": "RED"})
    assert red_baoji == [r["credit_code"] for r in registry
                         if r["jurisdiction"] == "610300" and r["credit_tier"] == "red"]
    xian = await token_for(client, "xian_inspector")
    seen = await _all_pages(client, xian, 100, None)
    assert seen == [r["credit_code"] for r in registry if r["jurisdiction"] == "610100"]


@pytest.mark.parametrize(("first", "after", "code"), [(0, None, "INVALID_PAGE_SIZE"), (101, None, "INVALID_PAGE_SIZE"),
                                                      (5, "garbage!", "INVALID_CURSOR")])
async def test_bad_paging_arguments(client: httpx.AsyncClient, registry: list[dict[str, str]], first: int,
                                    after: str | None, code: str) -> None:
    token = await token_for(client, "prov_supervisor")
    result = await gql(client, PAGE, {"first": first, "after": after}, token=token)
    assert result["errors"][0]["extensions"]["code"] == code


async def test_update_then_stale_version(client: httpx.AsyncClient, registry: list[dict[str, str]],
                                         database: Database) -> None:
    token = await token_for(client, "xian_supervisor")
    code = registry[2]["credit_code"]  # a Xi'an enterprise
    first = await gql(client, UPDATE, {"input": {"creditCode": code, "version": 1, "name": "改名企业",
                                                 "credit": {"tier": "YELLOW", "ratedOn": "2026-01-05"}}},
                      token=token)
    payload = first["data"]["updateEnterprise"]
    assert payload["userErrors"] == []
    assert payload["enterprise"]["version"] == 2 and payload["enterprise"]["credit"]["tier"] == "YELLOW"
    stale = await gql(client, UPDATE, {"input": {"creditCode": code, "version": 1, "name": "再改"}}, token=token)
    errors = stale["data"]["updateEnterprise"]["userErrors"]
    assert [e["code"] for e in errors] == ["STALE_VERSION"]
    doc = await database["enterprises"].find_one({"credit_code": code})
    assert doc["name"] == "改名企业" and doc["version"] == 2
    history = await database["enterprise_history"].find({"credit_code": code}).to_list()
    assert len(history) == 1 and set(history[0]["changes"]) == {"name", "credit"}
    audit = await database["audit"].find({"target": f"enterprise:{code}"}).sort("at", 1).to_list()
    assert [a["outcome"] for a in audit] == ["ok", "refused:STALE_VERSION"]
    assert audit[0]["actor"] == "xian_supervisor" and audit[0]["request_id"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"location": {"lat": 95, "lon": 108}}, "location", "OUT_OF_RANGE"),
        ({"jurisdiction": "123456"}, "jurisdiction", "UNKNOWN_JURISDICTION"),
        ({"industryCode": "9999"}, "industry_code", "UNKNOWN_INDUSTRY"),
        ({"name": ""}, "name", "REQUIRED"),
        ({"credit": {"tier": "RED", "ratedOn": "yesterday"}}, "credit", "INVALID_DATE"),
        ({"jurisdiction": "610300"}, "", "FORBIDDEN"),  # moving it out of the editor's scope
    ],
)
async def test_update_bad_input_writes_nothing(client: httpx.AsyncClient, registry: list[dict[str, str]],
                                               database: Database, changes: dict[str, Any], field: str,
                                               code: str) -> None:
    token = await token_for(client, "xian_supervisor")
    target = registry[2]["credit_code"]
    before = await database["enterprises"].find_one({"credit_code": target})
    result = await gql(client, UPDATE, {"input": {"creditCode": target, "version": 1, **changes}}, token=token)
    errors = result["data"]["updateEnterprise"]["userErrors"]
    assert errors and errors[0]["code"] == code
    assert errors[0]["field"].startswith(field)
    assert await database["enterprises"].find_one({"credit_code": target}) == before


async def test_import_mutation_reports_rows(client: httpx.AsyncClient, users: dict[str, str],
                                            database: Database) -> None:
    token = await token_for(client, "prov_supervisor")
    good = enterprise_row("91610100MD0000001")
    content = ",".join(good) + "\n" + ",".join(good.values()) + "\n" + \
        ",".join(enterprise_row("91610100MD0000002", lat="99").values()) + "\nonly,two\n"
    query = """mutation($c: String!) { importEnterprises(input: {format: CSV, content: $c}) {
      result { rows inserted failed errors { row field code } } userErrors { code } } }"""
    result = await gql(client, query, {"c": content}, token=token)
    report = result["data"]["importEnterprises"]["result"]
    assert report["rows"] == 3 and report["inserted"] == 1 and report["failed"] == 2
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "OUT_OF_RANGE"), (3, "MALFORMED_ROW")]
    missing = await gql(client, query, {"c": "name,jurisdiction\nx,610100\n"}, token=token)
    assert missing["data"]["importEnterprises"]["userErrors"] == [{"code": "MISSING_COLUMN"}]
    audit = await database["audit"].find({"action": "importEnterprises"}).sort("at", 1).to_list()
    assert [(a["actor"], a["outcome"]) for a in audit] == [("prov_supervisor", "ok"),
                                                          ("prov_supervisor", "refused:MISSING_COLUMN")]
    assert audit[0]["detail"]["inserted"] == 1 and audit[0]["detail"]["failed"] == 2 and audit[0]["request_id"]


async def test_history_is_loaded_in_one_query_per_page(client: httpx.AsyncClient, registry: list[dict[str, str]],
                                                      database: Database) -> None:
    token = await token_for(client, "prov_supervisor")
    for row in registry[:3]:
        result = await gql(client, UPDATE, {"input": {"creditCode": row["credit_code"], "version": 1,
                                                      "name": "新" + row["name"]}}, token=token)
        assert result["data"]["updateEnterprise"]["userErrors"] == []
    query = "{ enterprises(first: 5) { edges { node { name history { version actor changes } } } } }"
    result = await gql(client, query, token=token)
    nodes = [e["node"] for e in result["data"]["enterprises"]["edges"]]
    assert [len(n["history"]) for n in nodes] == [1, 1, 1, 0, 0]
    assert nodes[0]["history"][0]["changes"]["name"] == [registry[0]["name"], "新" + registry[0]["name"]]
    assert nodes[0]["history"][0]["actor"] == "prov_supervisor"
