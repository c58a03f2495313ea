"""Supervision class and positive-list decisions follow the facts: recorded with reasons, changes logged."""

from __future__ import annotations

import httpx
from conftest import enterprise_row, gql, token_for

from core.db import Database

DOSSIER = """query($c: String!) { enterprise(creditCode: $c) { version
  decisions { kind outputs version rules rationale } } }"""
IMPORT = """mutation($c: String!) { importEnterprises(input: {format: CSV, content: $c}) {
  result { inserted updated } userErrors { code } } }"""
UPDATE = """mutation($c: String!, $v: Int!) { updateEnterprise(input: {creditCode: $c, version: $v,
  credit: {tier: RED, ratedOn: "2026-11-01"}}) { enterprise { version } userErrors { code } } }"""


async def test_decisions_follow_imports_and_edits(client: httpx.AsyncClient, users: dict[str, str],
                                                  database: Database) -> None:
    token = await token_for(client, "prov_supervisor")
    row = enterprise_row("91610100MG0000001", credit_tier="green", online_monitoring="true",
                         permit_number="P-1", permit_valid_from="2025-01-01", permit_valid_to="2030-01-01",
                         industry_code="3971")
    content = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
    imported = await gql(client, IMPORT, {"c": content}, token=token)
    assert imported["data"]["importEnterprises"]["result"]["inserted"] == 1
    dossier = (await gql(client, DOSSIER, {"c": row["credit_code"]}, token=token))["data"]["enterprise"]
    decisions = {d["kind"]: d for d in dossier["decisions"]}
    assert decisions["supervision_class"]["outputs"] == {"class": "general"}
    assert decisions["positive_list"]["outputs"] == {"eligible": True}
    assert decisions["positive_list"]["rules"] == ["pl_eligible"] and decisions["positive_list"]["rationale"]

    edited = await gql(client, UPDATE, {"c": row["credit_code"], "v": dossier["version"]}, token=token)
    assert edited["data"]["updateEnterprise"]["userErrors"] == []
    after = {d["kind"]: d for d in (await gql(client, DOSSIER, {"c": row["credit_code"]},
                                                token=token))["data"]["enterprise"]["decisions"]}
    assert after["supervision_class"]["outputs"] == {"class": "special"}
    assert after["supervision_class"]["rules"] == ["special_credit"]
    assert after["positive_list"]["outputs"] == {"eligible": False}  # removed at once (rule 12)
    log = await database["decision_changes"].find({"credit_code": row["credit_code"]}).sort("at", 1).to_list()
    assert [(e["kind"], e["before"], e["after"]) for e in log][-2:] == [
        ("supervision_class", {"class": "general"}, {"class": "special"}),
        ("positive_list", {"eligible": True}, {"eligible": False})]
    assert log[-1]["trigger"].startswith("edit:")
