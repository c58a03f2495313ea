"""Registry upkeep through GraphQL: inspectors, conflicts of interest, matters; enterprise search and totalCount."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
from conftest import audit_log, enterprise_row, gql, token_for

from core.db import Database
from core.registry.importing import import_enterprises
from core.registry.rows import ENTERPRISE_COLUMNS

INSPECTOR = "inspector { staffId version onPost certificateNumber certificateExpires jurisdictions conflicts }"
CREATE = f"mutation($i: CreateInspectorInput!) {{ createInspector(input: $i) {{ {INSPECTOR} userErrors {{ field code }} }} }}"
UPDATE = f"mutation($i: UpdateInspectorInput!) {{ updateInspector(input: $i) {{ {INSPECTOR} userErrors {{ field code }} }} }}"
DEACTIVATE = (f"mutation($i: DeactivateInspectorInput!) {{ deactivateInspector(input: $i) {{ {INSPECTOR} "
              "userErrors { field code } } }")
DECLARE = (f"mutation($i: InspectorConflictInput!) {{ declareConflict(input: $i) {{ {INSPECTOR} "
           "userErrors { field code } } }")
WITHDRAW = (f"mutation($i: InspectorConflictInput!) {{ withdrawConflict(input: $i) {{ {INSPECTOR} "
            "userErrors { field code } } }")
MATTER = "mutation($i: MatterInput!) { %s(input: $i) { matter { code name defaultRatio } userErrors { field code } } }"
SEARCH = """query($f: EnterpriseFilter) { enterprises(first: 2, filter: $f) { totalCount
  edges { node { creditCode name } } pageInfo { hasNextPage } } }"""


def _inspector(**extra: Any) -> dict[str, Any]:
    return {"staffId": "SX-610100-0101", "name": "赵敏", "certificateNumber": "61010020240001",
            "certificateExpires": "2027-06-30", "jurisdictions": ["610100"], **extra}


async def _seed(database: Database, tmp_path: Path) -> list[dict[str, str]]:
    rows = [enterprise_row(f"9161010{n}MA000{n:04d}"[:17], name=name)
            for n, name in enumerate(["西安化工有限公司", "西安印染厂", "宝鸡化工集团", "西安食品公司", "西安化工二厂"], 1)]
    path = tmp_path / "seed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    assert (await import_enterprises(database, path, actor="seed")).failed == 0
    return rows


async def test_inspectors_are_kept_through_graphql_validated_and_audited(
        client: httpx.AsyncClient, users: dict[str, str], database: Database, tmp_path: Path) -> None:
    rows = await _seed(database, tmp_path)
    boss = await token_for(client, "xian_supervisor")
    made = (await gql(client, CREATE, {"i": _inspector()}, token=boss))["data"]["createInspector"]
    assert made["userErrors"] == [] and made["inspector"]["version"] == 1 and made["inspector"]["onPost"] is True
    again = (await gql(client, CREATE, {"i": _inspector()}, token=boss))["data"]["createInspector"]
    assert again["userErrors"] == [{"field": "staffId", "code": "INSPECTOR_EXISTS"}]
    bad = (await gql(client, CREATE, {"i": _inspector(staffId="SX-2", jurisdictions=["999999"])},
                     token=boss))["data"]["createInspector"]
    assert bad["inspector"] is None and bad["userErrors"][0]["code"] == "UNKNOWN_JURISDICTION"
    baoji = (await gql(client, CREATE, {"i": _inspector(staffId="SX-3", jurisdictions=["610300"])},
                       token=boss))["data"]["createInspector"]
    assert baoji["userErrors"][0]["code"] == "FORBIDDEN"

    # A renewed certificate; then a second post, in Baoji, which only the province may give; a stale version
    # changes nothing.
    renewed = (await gql(client, UPDATE, {"i": {"staffId": "SX-610100-0101", "version": 1,
                                                "certificateNumber": "61010020270001",
                                                "certificateExpires": "2030-06-30"}}, token=boss))
    assert renewed["data"]["updateInspector"]["inspector"]["certificateExpires"] == "2030-06-30", renewed
    outside = (await gql(client, UPDATE, {"i": {"staffId": "SX-610100-0101", "version": 2,
                                                "jurisdictions": ["610100", "610300"]}}, token=boss))
    assert outside["data"]["updateInspector"]["userErrors"][0]["code"] == "FORBIDDEN"
    province = await token_for(client, "prov_supervisor")
    posted = (await gql(client, UPDATE, {"i": {"staffId": "SX-610100-0101", "version": 2,
                                               "jurisdictions": ["610100", "610300"]}}, token=province))
    assert posted["data"]["updateInspector"]["inspector"]["jurisdictions"] == ["610100", "610300"], posted
    stale = (await gql(client, UPDATE, {"i": {"staffId": "SX-610100-0101", "version": 1, "name": "x"}},
                       token=province))["data"]["updateInspector"]
    assert stale["userErrors"] == [{"field": "version", "code": "STALE_VERSION"}]
    city_only = (await gql(client, UPDATE, {"i": {"staffId": "SX-610100-0101", "version": 3, "name": "x"}},
                           token=boss))["data"]["updateInspector"]
    assert city_only["userErrors"][0]["code"] == "FORBIDDEN"  # posted partly outside the city supervisor's scope

    # A conflict of interest with an enterprise of the registry, then withdrawn.
    code = rows[0]["credit_code"]
    declared = (await gql(client, DECLARE, {"i": {"staffId": "SX-610100-0101", "version": 3, "creditCode": code}},
                          token=province))["data"]["declareConflict"]
    assert declared["inspector"]["conflicts"] == [code], declared
    unknown = (await gql(client, DECLARE, {"i": {"staffId": "SX-610100-0101", "version": 4,
                                                 "creditCode": "91610100MA00000000"}}, token=province))
    assert unknown["data"]["declareConflict"]["userErrors"][0]["code"] in ("INVALID_CREDIT_CODE", "NOT_FOUND")
    withdrawn = (await gql(client, WITHDRAW, {"i": {"staffId": "SX-610100-0101", "version": 4, "creditCode": code}},
                           token=province))["data"]["withdrawConflict"]
    assert withdrawn["inspector"]["conflicts"] == []

    # Off post, with a reason.
    no_reason = (await gql(client, DEACTIVATE, {"i": {"staffId": "SX-610100-0101", "version": 5, "reason": " "}},
                           token=province))["data"]["deactivateInspector"]
    assert no_reason["userErrors"] == [{"field": "reason", "code": "REASON_REQUIRED"}]
    off = (await gql(client, DEACTIVATE, {"i": {"staffId": "SX-610100-0101", "version": 5, "reason": "调离"}},
                     token=province))["data"]["deactivateInspector"]
    assert off["inspector"]["onPost"] is False and off["inspector"]["version"] == 6

    operations = [e["operation"] for e in await audit_log(client, target="SX-610100-0101")]
    for operation in ("createInspector", "updateInspector", "declareConflict", "withdrawConflict",
                      "deactivateInspector"):
        assert operation in operations, operations


async def test_matters_are_kept_by_province_staff(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    boss, city = await token_for(client, "prov_supervisor"), await token_for(client, "xian_supervisor")
    matter = {"code": "STJ-NEW-01", "name": "新增事项", "objectScope": "排污单位", "method": "ON_SITE",
              "legalBasis": "《环境保护法》第二十四条", "defaultRatio": 0.1, "frequency": "YEARLY"}
    made = (await gql(client, MATTER % "createMatter", {"i": matter}, token=boss))["data"]["createMatter"]
    assert made["userErrors"] == [] and made["matter"]["code"] == "STJ-NEW-01"
    dup = (await gql(client, MATTER % "createMatter", {"i": matter}, token=boss))["data"]["createMatter"]
    assert dup["userErrors"] == [{"field": "code", "code": "MATTER_EXISTS"}]
    targeted = (await gql(client, MATTER % "createMatter", {"i": {**matter, "code": "TGT-NEW"}},
                          token=boss))["data"]["createMatter"]
    assert targeted["userErrors"][0]["code"] == "INVALID_VALUE"
    ratio = (await gql(client, MATTER % "createMatter", {"i": {**matter, "code": "STJ-NEW-02", "defaultRatio": 2}},
                       token=boss))["data"]["createMatter"]
    assert ratio["userErrors"][0]["code"] == "OUT_OF_RANGE"
    refused = (await gql(client, MATTER % "updateMatter", {"i": {**matter, "name": "城市改名"}},
                         token=city))["data"]["updateMatter"]
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    changed = (await gql(client, MATTER % "updateMatter", {"i": {**matter, "defaultRatio": 0.2}},
                         token=boss))["data"]["updateMatter"]
    assert changed["matter"]["defaultRatio"] == 0.2
    listed = (await gql(client, "{ matters { code defaultRatio } }"))["data"]["matters"]
    assert listed == [{"code": "STJ-NEW-01", "defaultRatio": 0.2}]
    assert [e["operation"] for e in await audit_log(client, target="STJ-NEW-01")].count("updateMatter") >= 1


async def test_enterprise_search_by_name_and_credit_code_prefix_with_total_count(
        client: httpx.AsyncClient, users: dict[str, str], database: Database, tmp_path: Path) -> None:
    rows = await _seed(database, tmp_path)
    token = await token_for(client, "xian_supervisor")
    by_name = (await gql(client, SEARCH, {"f": {"nameContains": "化工"}}, token=token))["data"]["enterprises"]
    assert by_name["totalCount"] == 3 and len(by_name["edges"]) == 2 and by_name["pageInfo"]["hasNextPage"]
    assert all("化工" in e["node"]["name"] for e in by_name["edges"])
    prefix = rows[1]["credit_code"][:9]
    by_code = (await gql(client, SEARCH, {"f": {"creditCodePrefix": prefix.lower()}}, token=token))
    found = by_code["data"]["enterprises"]
    assert found["totalCount"] == 1 and [e["node"]["creditCode"] for e in found["edges"]] == [rows[1]["credit_code"]]
    everything = (await gql(client, SEARCH, {"f": None}, token=token))["data"]["enterprises"]
    assert everything["totalCount"] == 5
    hostile = (await gql(client, SEARCH, {"f": {"nameContains": ".*"}}, token=token))["data"]["enterprises"]
    assert hostile["totalCount"] == 0  # a pattern is text, not a regular expression
    staff = (await gql(client, "{ inspectors(first: 1) { totalCount } }", token=token))
    assert staff["data"]["inspectors"]["totalCount"] == 0
