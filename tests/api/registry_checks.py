"""Authorization checks for registry upkeep (inspectors, conflicts, matters), used by the authorization matrix."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from conftest import gql

EDITS = {"xian": {"prov_supervisor", "xian_supervisor", "admin"}, "baoji": {"prov_supervisor", "admin"}}
SUPERVISE = {"prov_supervisor", "xian_supervisor", "admin"}
PROVINCE = {"prov_supervisor", "admin"}  # the matter list is province-wide
CITY = {"xian": "610100", "baoji": "610300"}
ENTERPRISE = {"xian": "91610100MA0009901", "baoji": "91610300MA0009902"}  # the matrix's seeded rows (17 chars)
NUMBERS = itertools.count(1)
INSPECTOR = "inspector { staffId version onPost certificateNumber jurisdictions conflicts } userErrors { code }"
CREATE = f"mutation($i: CreateInspectorInput!) {{ createInspector(input: $i) {{ {INSPECTOR} }} }}"


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def _expect(result: dict[str, Any], field: str, role: str, may: set[str], refused: str) -> None:
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED", result
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN", result
    elif role in may:
        assert result["data"][field]["userErrors"] == [], result
    else:
        assert result["data"][field]["userErrors"][0]["code"] == refused, result


def _inspector_input(where: str) -> dict[str, Any]:
    return {"staffId": f"MX-{CITY[where]}-{next(NUMBERS):04d}", "name": "测试", "certificateNumber": "C-1",
            "certificateExpires": "2099-12-31", "jurisdictions": [CITY[where]]}


async def _made(client: httpx.AsyncClient, setup: str, where: str) -> str:
    made = await gql(client, CREATE, {"i": _inspector_input(where)}, token=setup)
    assert made["data"]["createInspector"]["userErrors"] == [], made
    return str(made["data"]["createInspector"]["inspector"]["staffId"])


async def check_create_inspector(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    result = await gql(client, CREATE, {"i": _inspector_input(where)}, token=token)
    _expect(result, "createInspector", role, EDITS[where], "FORBIDDEN")


async def check_update_inspector(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    staff_id = await _made(client, setup, where)
    result = await gql(client, f"""mutation($i: UpdateInspectorInput!) {{ updateInspector(input: $i) {{ {INSPECTOR}
      }} }}""", {"i": {"staffId": staff_id, "version": 1, "certificateNumber": "C-2"}}, token=token)
    _expect(result, "updateInspector", role, EDITS[where], "NOT_FOUND")


async def check_deactivate_inspector(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                     setup: str) -> None:
    staff_id = await _made(client, setup, where)
    result = await gql(client, f"""mutation($i: DeactivateInspectorInput!) {{ deactivateInspector(input: $i) {{
      {INSPECTOR} }} }}""", {"i": {"staffId": staff_id, "version": 1, "reason": "调离"}}, token=token)
    _expect(result, "deactivateInspector", role, EDITS[where], "NOT_FOUND")


async def _conflict(client: httpx.AsyncClient, token: str | None, field: str, staff_id: str, version: int,
                    code: str) -> dict[str, Any]:
    return await gql(client, f"""mutation($i: InspectorConflictInput!) {{ {field}(input: $i) {{ {INSPECTOR} }} }}""",
                     {"i": {"staffId": staff_id, "version": version, "creditCode": code}}, token=token)


def _credit_code(where: str) -> str:
    from core.registry.credit_code import complete

    return complete(ENTERPRISE[where])


async def check_declare_conflict(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    staff_id = await _made(client, setup, where)
    result = await _conflict(client, token, "declareConflict", staff_id, 1, _credit_code(where))
    _expect(result, "declareConflict", role, EDITS[where], "NOT_FOUND")


async def check_withdraw_conflict(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                  setup: str) -> None:
    staff_id = await _made(client, setup, where)
    declared = await _conflict(client, setup, "declareConflict", staff_id, 1, _credit_code(where))
    assert declared["data"]["declareConflict"]["userErrors"] == [], declared
    result = await _conflict(client, token, "withdrawConflict", staff_id, 2, _credit_code(where))
    _expect(result, "withdrawConflict", role, EDITS[where], "NOT_FOUND")


MATTER = "matter { code name } userErrors { code }"


def _matter(code: str, name: str = "测试事项") -> dict[str, Any]:
    return {"code": code, "name": name, "objectScope": "排污单位", "method": "ON_SITE",
            "legalBasis": "《环境保护法》", "defaultRatio": 0.05, "frequency": "QUARTERLY"}


async def check_create_matter(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                              setup: str) -> None:
    result = await gql(client, f"mutation($i: MatterInput!) {{ createMatter(input: $i) {{ {MATTER} }} }}",
                       {"i": _matter(f"STJ-MX-{next(NUMBERS):04d}")}, token=token)
    _expect(result, "createMatter", role, PROVINCE, "FORBIDDEN")


async def check_update_matter(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                              setup: str) -> None:
    code = f"STJ-MX-{next(NUMBERS):04d}"
    made = await gql(client, f"mutation($i: MatterInput!) {{ createMatter(input: $i) {{ {MATTER} }} }}",
                     {"i": _matter(code)}, token=setup)
    assert made["data"]["createMatter"]["userErrors"] == [], made
    result = await gql(client, f"mutation($i: MatterInput!) {{ updateMatter(input: $i) {{ {MATTER} }} }}",
                       {"i": _matter(code, "改名")}, token=token)
    _expect(result, "updateMatter", role, PROVINCE, "FORBIDDEN")


REGISTRY_CHECKS = {
    "Mutation.createInspector": check_create_inspector, "Mutation.updateInspector": check_update_inspector,
    "Mutation.deactivateInspector": check_deactivate_inspector, "Mutation.declareConflict": check_declare_conflict,
    "Mutation.withdrawConflict": check_withdraw_conflict, "Mutation.createMatter": check_create_matter,
    "Mutation.updateMatter": check_update_matter,
}
