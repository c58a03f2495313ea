"""Authorization checks for positive-list membership, used by the authorization matrix."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import httpx
from conftest import enterprise_row, gql

CITY = {"xian": "610100", "baoji": "610300"}
SUPERVISE = {"prov_supervisor", "xian_supervisor", "admin"}
EDITS = {"xian": {"prov_supervisor", "xian_supervisor", "admin"}, "baoji": {"prov_supervisor", "admin"}}
ELIGIBLE = {"credit_tier": "green", "online_monitoring": "true", "permit_number": "P-1", "industry_code": "3971",
            "permit_valid_from": "2020-01-01", "permit_valid_to": "2099-01-01"}
IMPORT = """mutation($c: String!) { importEnterprises(input: {format: CSV, content: $c}) {
  result { inserted } userErrors { code } } }"""
ADMIT = """mutation($i: AdmitToPositiveListInput!) { admitToPositiveList(input: $i) {
  changes { creditCode action cause batch { name number } } userErrors { field code } } }"""
REMOVE = """mutation($i: RemoveFromPositiveListInput!) { removeFromPositiveList(input: $i) {
  change { creditCode action cause reason } userErrors { field code } } }"""
MEMBERS = """query($j: String) { positiveListMembers(first: 50, jurisdiction: $j) {
  edges { node { creditCode admission { batch { number } } } } } }"""
HISTORY = "query($c: String!) { positiveListHistory(creditCode: $c) { action cause actor } }"
_serial = itertools.count(1)


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


async def eligible_enterprise(client: httpx.AsyncClient, setup: str, where: str) -> str:
    """A fresh enterprise in the city that the positive_list policy finds eligible (imported by the setup)."""
    row = enterprise_row(f"91{CITY[where][:4]}00PL{next(_serial):07d}", jurisdiction=CITY[where], **ELIGIBLE)
    content = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
    imported = await gql(client, IMPORT, {"c": content}, token=setup)
    assert imported["data"]["importEnterprises"]["result"]["inserted"] == 1, imported
    return row["credit_code"]


def _admission(code: str) -> dict[str, Any]:
    return {"i": {"creditCodes": [code], "batchName": "2026年第一批", "batchNumber": "环函〔2026〕1号",
                  "validFrom": _today()}}


async def member(client: httpx.AsyncClient, setup: str, where: str) -> str:
    code = await eligible_enterprise(client, setup, where)
    admitted = await gql(client, ADMIT, _admission(code), token=setup)
    assert admitted["data"]["admitToPositiveList"]["userErrors"] == [], admitted
    return code


async def _history(client: httpx.AsyncClient, setup: str, code: str) -> list[dict[str, Any]]:
    return list((await gql(client, HISTORY, {"c": code}, token=setup))["data"]["positiveListHistory"])


async def check_admit(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    code = await eligible_enterprise(client, setup, where)
    result = await gql(client, ADMIT, _admission(code), token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"]["admitToPositiveList"] == {"changes": [
            {"creditCode": code, "action": "ADMITTED", "cause": "DECISION",
             "batch": {"name": "2026年第一批", "number": "环函〔2026〕1号"}}], "userErrors": []}, result
    else:
        assert result["data"]["admitToPositiveList"] == {
            "changes": [], "userErrors": [{"field": "creditCodes.0", "code": "NOT_FOUND"}]}, result
    written = await _history(client, setup, code)
    assert len(written) == (1 if role in EDITS[where] else 0)  # written only when allowed


async def check_remove(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    code = await member(client, setup, where)
    result = await gql(client, REMOVE, {"i": {"creditCode": code, "reason": "媒体曝光"}}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"]["removeFromPositiveList"] == {"change": {
            "creditCode": code, "action": "REMOVED", "cause": "DECISION", "reason": "媒体曝光"}, "userErrors": []}
    else:
        assert result["data"]["removeFromPositiveList"] == {
            "change": None, "userErrors": [{"field": "creditCode", "code": "NOT_FOUND"}]}, result
    assert [h["action"] for h in await _history(client, setup, code)] == (
        ["REMOVED", "ADMITTED"] if role in EDITS[where] else ["ADMITTED"])


async def check_members(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    code = await member(client, setup, where)
    result = await gql(client, MEMBERS, {"j": CITY[where]}, token=token)
    unscoped = await gql(client, MEMBERS, {"j": None}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED" and _code(unscoped) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and _code(unscoped) == "FORBIDDEN"
    elif role in EDITS[where]:
        nodes = [e["node"] for e in result["data"]["positiveListMembers"]["edges"]]
        assert {"creditCode": code, "admission": {"batch": {"number": "环函〔2026〕1号"}}} in nodes
    else:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
        listed = [e["node"]["creditCode"] for e in unscoped["data"]["positiveListMembers"]["edges"]]
        assert code not in listed  # nothing of another jurisdiction leaks


async def check_history(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    code = await member(client, setup, where)
    result = await gql(client, HISTORY, {"c": code}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"]["positiveListHistory"] == [
            {"action": "ADMITTED", "cause": "DECISION", "actor": "prov_supervisor"}]
    else:
        assert _code(result) == "NOT_FOUND" and result["data"] is None


POSITIVE_LIST_CHECKS = {
    "Mutation.admitToPositiveList": check_admit, "Mutation.removeFromPositiveList": check_remove,
    "Query.positiveListMembers": check_members, "Query.positiveListHistory": check_history,
}
