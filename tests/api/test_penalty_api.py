"""recommendPenalty and simulatePolicyVersion with assumed facts, through GraphQL on the real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import enterprise_row, gql, token_for

from core.db import Database
from core.registry.importing import EnterpriseImporter
from core.registry.sources import SourceRow

RECOMMEND = """query($i: RecommendPenaltyInput!, $on: Date) { recommendPenalty(input: $i, on: $on) {
  amountYuan minimumYuan maximumYuan legalBasis level notPenalised reasonCode score policyVersion rules rationale
  requiresConfirmation } }"""
SIMULATE = """mutation($i: SimulatePolicyVersionInput!) { simulatePolicyVersion(input: $i) {
  simulation { evaluated changed transitions { output before after enterprises } enterprises { creditCode before after } }
  userErrors { field code } } }"""
CREATE = """mutation($p: String!) { createPolicyVersion(input: {policyId: $p}) { version { versionId content }
  userErrors { code } } }"""
UPDATE = """mutation($i: UpdatePolicyDraftInput!) { updatePolicyDraft(input: $i) { version { versionId }
  userErrors { code } } }"""
UNGRADED = enterprise_row("91610100MP0000001", industry_code="3971")  # falls to hp_orange under an orange alert
GRADE_A = enterprise_row("91610100MP0000002", industry_code="3971", performance_grade="A")  # self-determined
GRADE_C = enterprise_row("91610100MP0000003", industry_code="3971", performance_grade="C")  # halted


def case(violation: str = "EXCEED_STANDARD", factors: tuple[int, ...] = (3, 3, 3, 3, 3), **flags: bool) -> dict:
    harm, fault, means, obj, correction = factors
    return {"violationType": violation, "harm": harm, "fault": fault, "means": means, "object": obj,
            "correction": correction, **flags}


async def recommend(client: httpx.AsyncClient, token: str, data: dict[str, Any], on: str | None = None) -> Any:
    return await gql(client, RECOMMEND, {"i": data, "on": on}, token=token)


@pytest.fixture
async def inspector(client: httpx.AsyncClient, users: dict[str, str]) -> str:
    return await token_for(client, "xian_inspector")  # any staff member may ask


@pytest.mark.parametrize(("data", "level", "amount", "rule"), [
    (case(), 3, 550_000, "pd_level_3"),  # score 15: half-way through 100,000–1,000,000
    (case(factors=(1, 1, 1, 1, 1)), 1, 190_000, "pd_level_1"),
    (case("FUGITIVE_EMISSION", (5, 5, 5, 5, 5)), 5, 182_000, "pd_level_5"),  # 20,000 + 0.9 × 180,000
    (case("NO_PERMIT", (1, 1, 1, 1, 1), repeatOffence=True), 4, 760_000, "pd_repeat"),  # repeat: at least level 4
    (case("MONITORING_NOT_CONNECTED", (2, 2, 2, 2, 2)), 2, 74_000, "pd_level_2"),
])
async def test_recommendation_inside_the_statutory_range(client: httpx.AsyncClient, inspector: str,
                                                         data: dict[str, Any], level: int, amount: int,
                                                         rule: str) -> None:
    result = await recommend(client, inspector, data)
    assert not result.get("errors"), result
    found = result["data"]["recommendPenalty"]
    assert (found["level"], found["amountYuan"], found["rules"]) == (level, amount, [rule])
    assert found["minimumYuan"] <= found["amountYuan"] <= found["maximumYuan"] and found["amountYuan"] % 100 == 0
    assert found["score"] == sum(data[f] for f in ("harm", "fault", "means", "object", "correction"))
    assert found["notPenalised"] is False and found["reasonCode"] == "discretion_level"
    assert found["policyVersion"] == "penalty_discretion:610000:v1" and found["requiresConfirmation"] is True
    assert found["legalBasis"].startswith("《") and len(found["rationale"]) == 1 and found["rationale"][0]


async def test_minor_corrected_harmless_is_not_penalised(client: httpx.AsyncClient, inspector: str) -> None:
    minor = case("EXCEED_STANDARD", (2, 2, 2, 1, 1), corrected=True, causedHarm=False)
    found = (await recommend(client, inspector, minor))["data"]["recommendPenalty"]
    assert (found["notPenalised"], found["amountYuan"], found["reasonCode"], found["level"], found["score"]) == (
        True, 0, "minor_corrected_harmless", 1, 8)
    assert found["rules"] == ["pd_minor_corrected_harmless"] and found["minimumYuan"] == 100_000
    over = (await recommend(client, inspector, case("EXCEED_STANDARD", (2, 2, 2, 2, 1), corrected=True,
                                                    causedHarm=False)))["data"]["recommendPenalty"]
    assert over["notPenalised"] is False and over["amountYuan"] == 190_000  # score 9 is above the bound 8
    repeat = (await recommend(client, inspector, {**minor, "repeatOffence": True}))["data"]["recommendPenalty"]
    assert repeat["notPenalised"] is False and repeat["level"] == 4


@pytest.mark.parametrize(("data", "on", "code"), [
    (case(factors=(6, 3, 3, 3, 3)), None, "OUT_OF_RANGE"),
    (case(factors=(3, 3, 3, 3, 0)), None, "OUT_OF_RANGE"),
    (case(), "1999-12-31", "NO_POLICY"),  # the shipped policy is in force from 2000-01-01
])
async def test_refused_recommendations(client: httpx.AsyncClient, inspector: str, data: dict[str, Any],
                                       on: str | None, code: str) -> None:
    result = await recommend(client, inspector, data, on)
    assert result["data"] is None and result["errors"][0]["extensions"]["code"] == code


async def test_an_unknown_violation_type_is_refused_by_the_schema(client: httpx.AsyncClient, inspector: str) -> None:
    result = await recommend(client, inspector, case("LITTERING"))
    assert result.get("data") is None and result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.fixture
async def author(client: httpx.AsyncClient, users: dict[str, str], database: Database) -> str:
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, dict(r)) for i, r in enumerate([UNGRADED, GRADE_A, GRADE_C], 1)), rescan=None)
    assert report.inserted == 3
    return await token_for(client, "author")


async def draft(client: httpx.AsyncClient, token: str, policy_id: str) -> tuple[str, dict[str, Any]]:
    made = (await gql(client, CREATE, {"p": policy_id}, token=token))["data"]["createPolicyVersion"]
    assert made["userErrors"] == [], made
    return made["version"]["versionId"], made["version"]["content"]


async def simulate(client: httpx.AsyncClient, token: str, version_id: str, assume: Any = None) -> dict[str, Any]:
    result = await gql(client, SIMULATE, {"i": {"versionId": version_id, "assume": assume}}, token=token)
    return dict(result["data"]["simulatePolicyVersion"])


async def test_an_assumed_orange_alert_shows_what_a_measures_draft_changes(client: httpx.AsyncClient,
                                                                           author: str) -> None:
    version_id, content = await draft(client, author, "heavy_pollution_measures:610000")
    rule = next(r for r in content["rules"] if r["id"] == "hp_orange")
    assert rule["then"]["reduction_pct"] == 20
    rule["then"]["reduction_pct"] = 35
    updated = await gql(client, UPDATE, {"i": {"versionId": version_id, "content": content,
                                               "reason": "orange cut 35%"}}, token=author)
    assert updated["data"]["updatePolicyDraft"]["userErrors"] == [], updated

    quiet = await simulate(client, author, version_id)  # no alert assumed: every measure is "none"
    assert quiet["userErrors"] == [] and quiet["simulation"]["changed"] == 0
    orange = await simulate(client, author, version_id, {"alert_level": "orange"})
    assert orange["userErrors"] == [], orange
    simulation = orange["simulation"]
    assert simulation["evaluated"] == 3 and simulation["changed"] == 1
    assert simulation["enterprises"] == [{"creditCode": UNGRADED["credit_code"],
                                          "before": {"measure": "reduce", "reduction_pct": 20},
                                          "after": {"measure": "reduce", "reduction_pct": 35}}]
    assert simulation["transitions"] == [{"output": "reduction_pct", "before": "20", "after": "35",
                                          "enterprises": 1}]


@pytest.mark.parametrize(("assume", "field", "code"), [
    ({"wind_speed": 3}, "assume.wind_speed", "UNKNOWN_FACT"),
    ({"alert_level": "purple"}, "assume.alert_level", "TYPE_MISMATCH"),
    ({"penalties_12m": "many"}, "assume.penalties_12m", "TYPE_MISMATCH"),
])
async def test_bad_assumptions_are_refused(client: httpx.AsyncClient, author: str, assume: dict[str, Any],
                                           field: str, code: str) -> None:
    version_id, _content = await draft(client, author, "heavy_pollution_measures:610000")
    refused = await simulate(client, author, version_id, assume)
    assert refused == {"simulation": None, "userErrors": [{"field": field, "code": code}]}


async def test_penalty_discretion_cannot_be_simulated(client: httpx.AsyncClient, author: str) -> None:
    version_id, _content = await draft(client, author, "penalty_discretion:610000")
    refused = await simulate(client, author, version_id, {"alert_level": "orange"})
    assert refused == {"simulation": None, "userErrors": [{"field": "versionId", "code": "NOT_SIMULATABLE"}]}
