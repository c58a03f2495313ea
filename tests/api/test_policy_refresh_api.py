"""Through GraphQL on the demo data: activating a supervision-class version refreshes the dossiers it governs at
once (the enterprise's decisions show the new class and version, as explainDecision does), and the activation
result shows the refresh with its counts; golden cases with facts outside the vocabulary are refused by name."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import gql, token_for

from core.config import Settings
from core.db import Database
from core.demo.loader import load_demo
from core.demo.users import DEMO_PASSWORD
from core.policies.service import PolicyService
from rules.policy_engine import RulesEngine

POLICY = "supervision_class:610000"
CASE = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "blue", "emergency_risk": "none",
        "verified_complaints_12m": 0, "key_discharger": True, "online_monitoring": False}


async def _call(client: httpx.AsyncClient, token: str, name: str, input_type: str, data: dict[str, Any],
                selection: str, *, refused: bool = False) -> dict[str, Any]:
    result = await gql(client, f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} "
                               "userErrors { field code message } } }", {"i": data}, token=token)
    assert not result.get("errors"), result
    payload = dict(result["data"][name])
    assert bool(payload["userErrors"]) is refused, payload
    return payload


def _stricter(content: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    changed["rules"].insert(0, {"id": "special_unmonitored_key", "priority": 5, "when": [
        {"fact": "key_discharger", "op": "eq", "value": True},
        {"fact": "online_monitoring", "op": "eq", "value": False}],
        "then": {"class": "special"}, "rationale": "Key dischargers without connected monitoring.",
        "legal_reference": "local rule (test)"})
    return changed


@pytest.fixture
async def demo(client: httpx.AsyncClient, database: Database, settings: Settings) -> dict[str, str]:
    await load_demo(database, settings, enterprises=300)
    await PolicyService(database, engine=RulesEngine()).redecide_all(trigger="demo")
    return {name: await token_for(client, name, DEMO_PASSWORD) for name in ("author1", "admin1", "supervisor1")}


async def _dossier(client: httpx.AsyncClient, token: str, code: str) -> dict[str, Any]:
    found = await gql(client, "query($c: String!) { enterprise(creditCode: $c) { decisions { kind outputs version } } }",
                      {"c": code}, token=token)
    return next(d for d in found["data"]["enterprise"]["decisions"] if d["kind"] == "supervision_class")


async def test_activation_refreshes_the_dossiers_it_governs(client: httpx.AsyncClient, demo: dict[str, str]) -> None:
    author, approver, supervisor = demo["author1"], demo["admin1"], demo["supervisor1"]
    draft = await _call(client, author, "createPolicyVersion", "CreatePolicyVersionInput", {"policyId": POLICY},
                        "version { versionId content }")
    version_id = draft["version"]["versionId"]
    await _call(client, author, "updatePolicyDraft", "UpdatePolicyDraftInput",
                {"versionId": version_id, "content": _stricter(draft["version"]["content"]), "reason": "r"},
                "version { status }")
    refused = await _call(client, author, "addGoldenCase", "AddGoldenCaseInput",
                          {"versionId": version_id, "facts": {**CASE, "credit_tier": "purple"},
                           "expected": {"class": "special"}}, "version { status }", refused=True)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [("facts.credit_tier", "TYPE_MISMATCH")]
    await _call(client, author, "addGoldenCase", "AddGoldenCaseInput",
                {"versionId": version_id, "facts": CASE, "expected": {"class": "special"}}, "version { status }")
    simulated = await _call(client, author, "simulatePolicyVersion", "SimulatePolicyVersionInput",
                            {"versionId": version_id}, "simulation { changed enterprises { creditCode } }")
    assert simulated["simulation"]["changed"] > 0
    code = simulated["simulation"]["enterprises"][0]["creditCode"]
    assert await _dossier(client, supervisor, code) == {"kind": "supervision_class", "outputs": {"class": "key"},
                                                        "version": f"{POLICY}:v1"}
    await _call(client, author, "submitPolicyVersion", "VersionInput", {"versionId": version_id}, "version { status }")
    await _call(client, approver, "approvePolicyVersion", "VersionInput", {"versionId": version_id},
                "version { status }")
    today = datetime.now(UTC).date().isoformat()
    active = await _call(client, approver, "activatePolicyVersion", "ActivatePolicyVersionInput",
                         {"versionId": version_id, "effectiveFrom": today},
                         "version { status decisionRefresh { state evaluated changed } }")
    refresh = active["version"]["decisionRefresh"]
    assert refresh == {"state": "done", "evaluated": 300, "changed": simulated["simulation"]["changed"]}

    assert await _dossier(client, supervisor, code) == {"kind": "supervision_class",
                                                        "outputs": {"class": "special"}, "version": version_id}
    explained = await gql(client, "query($c: String!, $p: String!) { explainDecision(creditCode: $c, policyId: $p) "
                                  "{ version outputs policyId jurisdiction } }", {"c": code, "p": POLICY},
                          token=supervisor)
    assert explained["data"]["explainDecision"] == {"version": version_id, "outputs": {"class": "special"},
                                                    "policyId": POLICY, "jurisdiction": "610000"}
