"""The audit trail through the API: mutations, refusals and logins appear in auditLog with outcome and code;
supervisors see their jurisdictions only; the CSV export has the same filters, access and safe cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import enterprise_row, gql, token_for

from core.db import Database
from core.registry.importing import import_enterprises
from core.registry.rows import ENTERPRISE_COLUMNS

XIAN = enterprise_row("91610100MA0007701", jurisdiction="610100")
LOG = """query($first: Int!, $after: String, $filter: AuditLogFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { cursor node { seq actor roles jurisdictions operation targets outcome code requestId address source
                          detail { name value } day n prev hash } }
    pageInfo { hasNextPage endCursor } } }"""
UPDATE = """mutation Rename($input: UpdateEnterpriseInput!) { updateEnterprise(input: $input) {
  enterprise { version } userErrors { code } } }"""


@pytest.fixture
async def seeded(database: Database, users: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "seed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
        writer.writeheader()
        writer.writerow(XIAN)
    assert (await import_enterprises(database, path, actor="seed")).inserted == 1


async def _log(client: httpx.AsyncClient, token: str, **where: Any) -> list[dict[str, Any]]:
    result = await gql(client, LOG, {"first": 100, "filter": where or None}, token=token)
    assert not result.get("errors"), result
    return [edge["node"] for edge in result["data"]["auditLog"]["edges"]]


async def test_mutations_refusals_and_logins_appear_with_outcome_and_code(client: httpx.AsyncClient,
                                                                         seeded: None) -> None:
    supervisor = await token_for(client, "xian_supervisor")
    code = XIAN["credit_code"]
    done = await gql(client, UPDATE, {"input": {"creditCode": code, "version": 1, "name": "改名"}}, token=supervisor)
    assert done["data"]["updateEnterprise"]["userErrors"] == []
    stale = await gql(client, UPDATE, {"input": {"creditCode": code, "version": 1, "name": "再改"}}, token=supervisor)
    assert stale["data"]["updateEnterprise"]["userErrors"] == [{"code": "STALE_VERSION"}]
    inspector = await token_for(client, "xian_inspector")
    forbidden = await gql(client, UPDATE, {"input": {"creditCode": code, "version": 2, "name": "x"}}, token=inspector)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(client, "{ plans { id } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await gql(client, UPDATE, {"input": {"creditCode": code, "version": "two"}}, token=supervisor)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await client.post("/auth/token", data={"username": "xian_inspector", "password": "wrong"})
            ).status_code == 401

    admin = await token_for(client, "admin")
    entries = await _log(client, admin)
    seen = [(e["actor"], e["operation"], e["outcome"], e["code"]) for e in entries]
    assert ("xian_supervisor", "Mutation.updateEnterprise", "ok", None) in seen
    assert ("xian_supervisor", "Mutation.updateEnterprise", "refused:STALE_VERSION", "STALE_VERSION") in seen
    assert ("xian_inspector", "Mutation.updateEnterprise", "refused:FORBIDDEN", "FORBIDDEN") in seen
    assert ("anonymous", "Query.plans", "refused:UNAUTHENTICATED", "UNAUTHENTICATED") in seen
    assert ("xian_supervisor", "graphql:Rename", "refused:BAD_USER_INPUT", "BAD_USER_INPUT") in seen
    assert ("xian_supervisor", "login", "ok", None) in seen
    assert ("xian_inspector", "login", "refused:INVALID_CREDENTIALS", "INVALID_CREDENTIALS") in seen

    mutation = next(e for e in entries if e["operation"] == "Mutation.updateEnterprise" and e["outcome"] == "ok")
    assert mutation["targets"] == [code] and mutation["roles"] == ["supervisor"]
    assert mutation["jurisdictions"] == ["610100"] and mutation["requestId"] and mutation["address"]
    assert mutation["source"] == "graphql" and len(mutation["hash"]) == 64 and mutation["n"] >= 1
    # The service's own record of the same change, written in its transaction, is in the trail too.
    assert ("xian_supervisor", "updateEnterprise", "ok", None) in seen
    by_target = await _log(client, admin, target=code, outcome="refused")
    assert {e["code"] for e in by_target} == {"STALE_VERSION", "FORBIDDEN"}
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_pages_follow_cursors(client: httpx.AsyncClient, seeded: None) -> None:
    admin = await token_for(client, "admin")
    for _ in range(4):
        await token_for(client, "xian_supervisor")
    seen, after = [], None
    while True:
        result = await gql(client, LOG, {"first": 2, "after": after, "filter": {"operation": "login"}}, token=admin)
        page = result["data"]["auditLog"]
        seen += [e["node"]["seq"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 5 and seen == sorted(set(seen))


async def test_supervisors_see_their_jurisdictions_only(client: httpx.AsyncClient, seeded: None) -> None:
    await token_for(client, "baoji_inspector")
    await token_for(client, "xian_inspector")
    province = await _log(client, await token_for(client, "prov_supervisor"), operation="login")
    xian = await _log(client, await token_for(client, "xian_supervisor"), operation="login")
    admin = await _log(client, await token_for(client, "admin"), operation="login")
    assert {"baoji_inspector", "xian_inspector"} <= {e["actor"] for e in province}
    assert "xian_inspector" in {e["actor"] for e in xian} and "baoji_inspector" not in {e["actor"] for e in xian}
    assert "admin" in {e["actor"] for e in admin} and "admin" not in {e["actor"] for e in xian}
    refused = await gql(client, LOG, {"first": 5}, token=await token_for(client, "xian_inspector"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_csv_export_has_the_filters_access_and_safe_cells(client: httpx.AsyncClient, seeded: None) -> None:
    hostile = "=HYPERLINK(\"http://x\")"
    await client.post("/auth/token", data={"username": hostile, "password": "nope"})
    admin = await token_for(client, "admin")
    response = await client.get("/audit.csv", params={"operation": "login", "outcome": "refused"},
                                headers={"authorization": f"Bearer {admin}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert [r["actor"] for r in rows] == ["'" + hostile]
    assert rows[0]["outcome"] == "refused:INVALID_CREDENTIALS" and len(rows[0]["hash"]) == 64
    xian = await token_for(client, "xian_supervisor")
    scoped = await client.get("/audit.csv", params={"operation": "login"}, headers={"authorization": f"Bearer {xian}"})
    actors = {r["actor"] for r in csv.DictReader(io.StringIO(scoped.text.removeprefix("\ufeff")))}
    assert actors == {"xian_supervisor"}  # not the admin, not the anonymous attempt
    inspector = await token_for(client, "xian_inspector")
    assert (await client.get("/audit.csv", headers={"authorization": f"Bearer {inspector}"})).status_code == 403
    assert (await client.get("/audit.csv")).status_code == 401
    assert (await client.get("/audit.csv", params={"from": "yesterday"},
                             headers={"authorization": f"Bearer {admin}"})).status_code == 400
    refusals = await _log(client, admin, operation="GET /audit.csv", outcome="refused")
    assert {e["code"] for e in refusals} == {"FORBIDDEN", "UNAUTHENTICATED", "BAD_USER_INPUT"}
