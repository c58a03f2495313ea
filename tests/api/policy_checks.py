"""Authorization checks for the policy fields, used by the authorization matrix."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import httpx
from conftest import gql

POLICY = "supervision_class:610000"
READERS = {"prov_supervisor", "author", "admin"}  # roles and jurisdiction that cover the province policy
AUTHORS = {"author", "admin"}
CITY_LEVEL = {"xian_supervisor", "xian_author"}  # right role, but the policy is outside their jurisdiction
VERSION = "version { versionId status } userErrors { code }"
CASE = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "red", "emergency_risk": "none",
        "verified_complaints_12m": 0, "key_discharger": False}
_days = itertools.count(1)


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def _call(client: httpx.AsyncClient, token: str | None, name: str, input_type: str, data: dict[str, Any],
                selection: str = VERSION) -> dict[str, Any]:
    return await gql(client, f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} }} }}", {"i": data},
                     token=token)


async def draft(client: httpx.AsyncClient, tokens: dict[str, Any], *, case: bool = False, until: str = "draft") -> str:
    made = await _call(client, tokens["author"], "createPolicyVersion", "CreatePolicyVersionInput",
                       {"policyId": POLICY})
    version_id = made["data"]["createPolicyVersion"]["version"]["versionId"]
    if case or until != "draft":
        await _call(client, tokens["author"], "addGoldenCase", "AddGoldenCaseInput",
                    {"versionId": version_id, "facts": CASE, "expected": {"class": "special"}})
    if until in ("in_review", "approved"):
        done = await _call(client, tokens["author"], "submitPolicyVersion", "VersionInput", {"versionId": version_id})
        assert done["data"]["submitPolicyVersion"]["userErrors"] == [], done
    if until == "approved":
        done = await _call(client, tokens["admin"], "approvePolicyVersion", "VersionInput", {"versionId": version_id})
        assert done["data"]["approvePolicyVersion"]["userErrors"] == [], done
    return version_id


def expect(result: dict[str, Any], field: str, role: str, *, ok: Any = None) -> None:
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in AUTHORS | {"xian_author"}:
        assert _code(result) == "FORBIDDEN"
    elif role == "xian_author":
        assert [e["code"] for e in result["data"][field]["userErrors"]] == ["NOT_FOUND"], result
    else:
        assert result["data"][field]["userErrors"] == [], result
        if ok is not None:
            assert ok(result["data"][field]), result


async def check_create(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "createPolicyVersion", "CreatePolicyVersionInput", {"policyId": POLICY})
    expect(result, "createPolicyVersion", role, ok=lambda d: d["version"]["status"] == "draft")


async def check_create_policy(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    # Xi'an's own positive list: the province's authors may, Xi'an's author may (their city); others may not.
    result = await _call(client, tokens[role], "createPolicy", "CreatePolicyInput",
                         {"kind": "positive_list", "jurisdiction": "610100"})
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in AUTHORS | {"xian_author"}:
        assert _code(result) == "FORBIDDEN"
    else:
        errors = [e["code"] for e in result["data"]["createPolicy"]["userErrors"]]
        # One policy per kind and city: whoever comes second in the matrix finds it made.
        assert errors in ([], ["CONFLICT"]), result
        other = await _call(client, tokens[role], "createPolicy", "CreatePolicyInput",
                            {"kind": "positive_list", "jurisdiction": "610300"})
        codes = [e["code"] for e in other["data"]["createPolicy"]["userErrors"]]
        assert codes == ["FORBIDDEN"] if role == "xian_author" else codes in ([], ["CONFLICT"]), other


async def check_update(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    version_id = await draft(client, tokens)
    content = (await gql(client, "query($v: String!) { policyVersion(versionId: $v) { content } }",
                         {"v": version_id}, token=tokens["author"]))["data"]["policyVersion"]["content"]
    result = await _call(client, tokens[role], "updatePolicyDraft", "UpdatePolicyDraftInput",
                         {"versionId": version_id, "content": content, "reason": "matrix"})
    expect(result, "updatePolicyDraft", role)


async def check_validate(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "validatePolicyVersion", "VersionInput",
                         {"versionId": await draft(client, tokens)}, "valid userErrors { code }")
    expect(result, "validatePolicyVersion", role, ok=lambda d: d["valid"])


async def check_add_case(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "addGoldenCase", "AddGoldenCaseInput",
                         {"versionId": await draft(client, tokens), "facts": CASE, "expected": {"class": "special"}})
    expect(result, "addGoldenCase", role)


async def check_delete_case(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    version_id = await draft(client, tokens, case=True)
    case_id = (await gql(client, "query($v: String!) { policyVersion(versionId: $v) { goldenCases { id } } }",
                         {"v": version_id}, token=tokens["author"]))["data"]["policyVersion"]["goldenCases"][0]["id"]
    result = await _call(client, tokens[role], "deleteGoldenCase", "DeleteGoldenCaseInput",
                         {"versionId": version_id, "caseId": case_id}, "version { goldenCases { id } } userErrors { code }")
    expect(result, "deleteGoldenCase", role, ok=lambda d: d["version"]["goldenCases"] == [])


async def check_discard(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "discardPolicyDraft", "DiscardPolicyDraftInput",
                         {"versionId": await draft(client, tokens), "reason": "matrix"})
    expect(result, "discardPolicyDraft", role, ok=lambda d: d["version"]["status"] == "discarded")


async def check_run_cases(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "runGoldenCases", "VersionInput",
                         {"versionId": await draft(client, tokens, case=True)}, "results { passed } userErrors { code }")
    expect(result, "runGoldenCases", role,
           ok=lambda d: d["results"] == [{"passed": True}])


async def check_simulate(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "simulatePolicyVersion", "SimulatePolicyVersionInput",
                         {"versionId": await draft(client, tokens)}, "simulation { evaluated changed } userErrors { code }")
    expect(result, "simulatePolicyVersion", role,
           ok=lambda d: d["simulation"]["changed"] == 0)


async def check_submit(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "submitPolicyVersion", "VersionInput",
                         {"versionId": await draft(client, tokens, case=True)})
    expect(result, "submitPolicyVersion", role)


async def check_approve(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    result = await _call(client, tokens[role], "approvePolicyVersion", "VersionInput",
                         {"versionId": await draft(client, tokens, until="in_review")})
    if role == "author":  # the author of the version cannot approve it
        assert [e["code"] for e in result["data"]["approvePolicyVersion"]["userErrors"]] == ["SELF_APPROVAL"]
        return
    expect(result, "approvePolicyVersion", role)


async def check_activate(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    version_id = await draft(client, tokens, until="approved")
    start = (date(2031, 1, 1) + timedelta(days=next(_days))).isoformat()
    result = await _call(client, tokens[role], "activatePolicyVersion", "ActivatePolicyVersionInput",
                         {"versionId": version_id, "effectiveFrom": start})
    expect(result, "activatePolicyVersion", role)


async def check_rollback(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    versions = (await gql(client, "query($p: String!) { policy(policyId: $p) { versions { versionId status } } }",
                          {"p": POLICY}, token=tokens["author"]))["data"]["policy"]["versions"]
    if not any(v["status"] == "retired" for v in versions):
        version_id = await draft(client, tokens, until="approved")
        today = date.today().isoformat()  # noqa: DTZ011 - the server's calendar day is what matters here
        done = await _call(client, tokens["admin"], "activatePolicyVersion", "ActivatePolicyVersionInput",
                           {"versionId": version_id, "effectiveFrom": today})
        assert done["data"]["activatePolicyVersion"]["userErrors"] == [], done
        versions = (await gql(client, "query($p: String!) { policy(policyId: $p) { versions { versionId status } } }",
                              {"p": POLICY}, token=tokens["author"]))["data"]["policy"]["versions"]
    target = max((v for v in versions if v["status"] == "retired"), key=lambda v: int(v["versionId"].rsplit("v", 1)[1]))
    result = await _call(client, tokens[role], "rollbackPolicy", "RollbackPolicyInput",
                         {"policyId": POLICY, "toVersion": target["versionId"], "reason": "matrix"})
    expect(result, "rollbackPolicy", role)


async def _read(client: httpx.AsyncClient, tokens: dict[str, Any], role: str, query: str, field: str,
                present: Any) -> None:
    result = await gql(client, query, token=tokens[role])
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in READERS | CITY_LEVEL:
        assert _code(result) == "FORBIDDEN"
    elif role in CITY_LEVEL:
        assert result["data"][field] in (None, []), result
    else:
        assert present(result["data"][field]), result


async def check_policies(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    await _read(client, tokens, role, "{ policies { policyId } }", "policies",
                lambda d: {"policyId": POLICY} in d)


async def check_policy(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    await _read(client, tokens, role, f'{{ policy(policyId: "{POLICY}") {{ activeVersion }} }}', "policy",
                lambda d: d["activeVersion"] == f"{POLICY}:v1")


async def check_version(client: httpx.AsyncClient, tokens: dict[str, Any], role: str) -> None:
    await _read(client, tokens, role, f'{{ policyVersion(versionId: "{POLICY}:v1") {{ status }} }}', "policyVersion",
                lambda d: d["status"] == "active")


async def check_explain(client: httpx.AsyncClient, tokens: dict[str, Any], role: str, *, xian: str,
                        baoji: str, sees: dict[str, set[str]]) -> None:
    for where, code in (("xian", xian), ("baoji", baoji)):
        result = await gql(client, f'{{ explainDecision(creditCode: "{code}", policyId: "{POLICY}") '
                                   "{ version outputs applied { ruleId } } }", token=tokens[role])
        if role == "anonymous":
            assert _code(result) == "UNAUTHENTICATED"
        elif role not in sees[where]:
            assert result["data"]["explainDecision"] is None and not result.get("errors")
        elif role in CITY_LEVEL | {"xian_inspector", "baoji_inspector", "xian_lawyer"}:
            assert _code(result) == "NOT_FOUND"  # sees the enterprise, not the province policy
        else:
            assert result["data"]["explainDecision"]["version"] == f"{POLICY}:v1", result


POLICY_CHECKS = {
    "Mutation.createPolicy": check_create_policy,
    "Mutation.createPolicyVersion": check_create, "Mutation.updatePolicyDraft": check_update,
    "Mutation.validatePolicyVersion": check_validate, "Mutation.addGoldenCase": check_add_case,
    "Mutation.deleteGoldenCase": check_delete_case, "Mutation.discardPolicyDraft": check_discard,
    "Mutation.runGoldenCases": check_run_cases, "Mutation.simulatePolicyVersion": check_simulate,
    "Mutation.submitPolicyVersion": check_submit, "Mutation.approvePolicyVersion": check_approve,
    "Mutation.activatePolicyVersion": check_activate, "Mutation.rollbackPolicy": check_rollback,
    "Query.policies": check_policies, "Query.policy": check_policy, "Query.policyVersion": check_version,
    "Query.explainDecision": check_explain,
}
