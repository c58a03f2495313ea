"""Every root field × role × own/other jurisdiction: allowed, refused with a code, or nothing leaked."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from alert_checks import ALERT_CHECKS
from audit_checks import AUDIT_CHECKS
from case_checks import CASE_CHECKS, seed_case_matrix
from conftest import USERS, enterprise_row, gql, token_for
from event_checks import EVENT_CHECKS
from field_checks import FIELD_CHECKS, seed_field_matrix
from lead_checks import LEAD_CHECKS
from nonsite_checks import NONSITE_CHECKS, seed_nonsite_matrix
from plan_checks import PLAN_CHECKS, add_plan_matters
from policy_checks import POLICY_CHECKS
from positive_list_checks import POSITIVE_LIST_CHECKS
from registry_checks import REGISTRY_CHECKS

from api.graphql.permissions import ACCESS
from api.graphql.relay import to_global_id
from core.config import Settings
from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors
from core.registry.rows import ENTERPRISE_COLUMNS

XIAN = enterprise_row("91610100MA0009901", jurisdiction="610100")
BAOJI = enterprise_row("91610300MA0009902", jurisdiction="610300")
ROLES = ["anonymous", *USERS]
# Who may see the Xi'an / Baoji enterprise (staff whose jurisdiction covers it).
SEES = {"xian": {"prov_supervisor", "xian_supervisor", "xian_inspector", "author", "xian_author", "xian_lawyer",
                  "admin"},
        "baoji": {"prov_supervisor", "baoji_inspector", "author", "admin"}}
EDITS = {"xian": {"prov_supervisor", "xian_supervisor", "admin"}, "baoji": {"prov_supervisor", "admin"}}
SUPERVISE = {"prov_supervisor", "xian_supervisor", "admin"}


@pytest.fixture
async def seeded(database: Database, users: dict[str, str], tmp_path: Any) -> None:
    path = tmp_path / "seed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
        writer.writeheader()
        writer.writerows([XIAN, BAOJI])
    report = await import_enterprises(database, path, actor="seed")
    assert report.inserted == 2


async def _tokens(client: httpx.AsyncClient) -> dict[str, str | None]:
    tokens: dict[str, str | None] = {"anonymous": None}
    for name in USERS:
        tokens[name] = await token_for(client, name)
    return tokens


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def _csv(row: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return buffer.getvalue()


def _place(where: str) -> tuple[dict[str, str], str]:
    row = XIAN if where == "xian" else BAOJI
    return row, row["jurisdiction"]


async def check_enterprises(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    _row, jurisdiction = _place(where)
    result = await gql(client, "query($j: String) { enterprises(first: 10, filter: {jurisdiction: $j}) "
                       "{ edges { node { creditCode } } } }", {"j": jurisdiction}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role in SEES[where]:
        assert [e["node"]["creditCode"] for e in result["data"]["enterprises"]["edges"]] == [_row["credit_code"]]
    else:
        assert _code(result) == "FORBIDDEN" and result["data"] is None


async def check_enterprise(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    row, _ = _place(where)
    result = await gql(client, "query($c: String!) { enterprise(creditCode: $c) { name } }",
                       {"c": row["credit_code"]}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role in SEES[where]:
        assert result["data"]["enterprise"]["name"] == row["name"]
    else:
        assert result["data"]["enterprise"] is None and not result.get("errors")


async def check_node(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    row, _ = _place(where)
    result = await gql(client, "query($id: ID!) { node(id: $id) { id ... on Enterprise { name } } }",
                       {"id": to_global_id("Enterprise", row["credit_code"])}, token=token)
    expected = row["name"] if role in SEES[where] else None
    assert (result["data"]["node"] or {}).get("name") == expected


async def check_inspectors(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    _row, jurisdiction = _place(where)
    result = await gql(client, "query($j: String) { inspectors(first: 5, jurisdiction: $j) "
                       "{ edges { node { staffId } } } }", {"j": jurisdiction}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"]["inspectors"]["edges"] == []
    else:
        assert _code(result) == "FORBIDDEN"


async def check_matters(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    result = await gql(client, "{ matters { code } }", token=token)
    assert result["data"]["matters"] == [] and not result.get("errors")


async def check_viewer(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    result = await gql(client, "{ viewer { username authenticated } }", token=token)
    assert result["data"]["viewer"] == {"username": None if role == "anonymous" else role,
                                        "authenticated": role != "anonymous"}


async def check_update(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    row, _ = _place(where)
    version = 1
    if role in SEES[where]:
        read = await gql(client, "query($c: String!) { enterprise(creditCode: $c) { version } }",
                         {"c": row["credit_code"]}, token=token)
        version = read["data"]["enterprise"]["version"]
    address = f"新地址-{role}"
    result = await gql(client, "mutation($c: String!, $v: Int!, $a: String!) { updateEnterprise(input: "
                       "{creditCode: $c, version: $v, address: $a}) { enterprise { address version } "
                       "userErrors { code } } }", {"c": row["credit_code"], "v": version, "a": address},
                       token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"]["updateEnterprise"]["enterprise"] == {"address": address, "version": version + 1}
    else:
        payload = result["data"]["updateEnterprise"]
        assert payload["enterprise"] is None and payload["userErrors"] == [{"code": "NOT_FOUND"}]


async def check_import(client: httpx.AsyncClient, token: str | None, role: str, where: str) -> None:
    code17 = ("91610100MB00099" if where == "xian" else "91610300MB00099") + str(ROLES.index(role)).zfill(2)
    row = enterprise_row(code17, jurisdiction=_place(where)[1])
    result = await gql(client, "mutation($c: String!) { importEnterprises(input: {format: CSV, content: $c}) "
                       "{ result { inserted errors { code } } userErrors { code } } }", {"c": _csv(row)},
                       token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"]["importEnterprises"]["result"] == {"inserted": 1, "errors": []}
    else:
        assert result["data"]["importEnterprises"]["result"] == {"inserted": 0,
                                                                "errors": [{"code": "OUT_OF_SCOPE"}]}


CHECKS = {
    "Query.viewer": check_viewer, "Query.node": check_node, "Query.matters": check_matters,
    "Query.enterprises": check_enterprises, "Query.enterprise": check_enterprise,
    "Query.inspectors": check_inspectors, "Mutation.updateEnterprise": check_update,
    "Mutation.importEnterprises": check_import,
}


def test_matrix_covers_every_root_field() -> None:
    assert (set(CHECKS) | set(PLAN_CHECKS) | set(POLICY_CHECKS) | set(ALERT_CHECKS) | set(EVENT_CHECKS)
            | set(FIELD_CHECKS) | set(NONSITE_CHECKS) | set(LEAD_CHECKS) | set(CASE_CHECKS) | set(AUDIT_CHECKS)
            | set(POSITIVE_LIST_CHECKS) | set(REGISTRY_CHECKS) == set(ACCESS))


@pytest.mark.parametrize("field", sorted(REGISTRY_CHECKS))
async def test_registry_upkeep_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await REGISTRY_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(CHECKS))
async def test_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)
    for role in ROLES:
        for where in ("xian", "baoji"):
            await CHECKS[field](client, tokens[role], role, where)


@pytest.mark.parametrize("field", sorted(PLAN_CHECKS))
async def test_plan_matrix(client: httpx.AsyncClient, seeded: None, database: Database, tmp_path: Any,
                           field: str) -> None:
    inspectors = tmp_path / "inspectors.csv"
    inspectors.write_text(
        "staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
        "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n"
        "SX-610300-0001,丙,C3,2099-01-01,610300\nSX-610300-0002,丁,C4,2099-01-01,610300\n", encoding="utf-8")
    assert (await import_inspectors(database, inspectors)).inserted == 4
    await add_plan_matters(database)
    tokens = await _tokens(client)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await PLAN_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(POLICY_CHECKS))
async def test_policy_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)
    for role in ROLES:
        if field == "Query.explainDecision":
            await POLICY_CHECKS[field](client, tokens, role, xian=XIAN["credit_code"], baoji=BAOJI["credit_code"],
                                       sees=SEES)
        else:
            await POLICY_CHECKS[field](client, tokens, role)


@pytest.mark.parametrize("field", sorted(ALERT_CHECKS))
async def test_alert_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await ALERT_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(EVENT_CHECKS))
async def test_event_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await EVENT_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(POSITIVE_LIST_CHECKS))
async def test_positive_list_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await POSITIVE_LIST_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(AUDIT_CHECKS))
async def test_audit_matrix(client: httpx.AsyncClient, seeded: None, field: str) -> None:
    tokens = await _tokens(client)  # every account logs in: the entries the check reads
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await AUDIT_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(FIELD_CHECKS))
async def test_field_matrix(client: httpx.AsyncClient, users: dict[str, str], settings: Settings,
                            database: Database, tmp_path: Path, field: str) -> None:
    tokens: dict[str, str | None] = {"anonymous": None}
    for name in USERS:
        tokens[name] = await token_for(client, name)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    await seed_field_matrix(client, settings, database, tmp_path, setup)
    for role in ROLES:
        for where in ("xian", "baoji"):
            await FIELD_CHECKS[field](client, tokens[role], role, where, setup)


@pytest.mark.parametrize("field", sorted(NONSITE_CHECKS) + sorted(LEAD_CHECKS))
async def test_nonsite_matrix(client: httpx.AsyncClient, users: dict[str, str], database: Database,
                              tmp_path: Path, field: str) -> None:
    await seed_nonsite_matrix(database, tmp_path)
    tokens: dict[str, str | None] = {"anonymous": None}
    for name in USERS:
        tokens[name] = await token_for(client, name)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for role in ROLES:
        for where in ("xian", "baoji"):
            await {**NONSITE_CHECKS, **LEAD_CHECKS}[field](client, tokens[role], role, where, setup)


async def test_case_matrix(client: httpx.AsyncClient, seeded: None, database: Database, tmp_path: Path) -> None:
    """Every case field in one test (they share the seeded cases): 31 fields x 9 roles x 2 cities."""
    await seed_case_matrix(database, tmp_path, {"xian": XIAN["credit_code"], "baoji": BAOJI["credit_code"]})
    tokens = await _tokens(client)
    setup = tokens["prov_supervisor"]
    assert setup is not None
    for _field, check in sorted(CASE_CHECKS.items()):
        for role in ROLES:
            for where in ("xian", "baoji"):
                await check(client, tokens[role], role, where, setup, database)
