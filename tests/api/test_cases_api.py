"""Cases through GraphQL: a finding to a closed case, coded refusals as userErrors, replays, lists and timelines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import enterprise_row, gql, token_for

from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors

TODAY = datetime.now(UTC).date()
CASE = """caseId number status partyName version headHash deadlines { name dueOn ref overdue }
  decisions { decisionId number kind fineYuan servedOn dueOn publishedOn
              balance { fineYuan paidYuan outstandingYuan surchargeYuan overdueYuan } }"""
OPEN = f"mutation($i: OpenCaseInput!) {{ openCase(input: $i) {{ case {{ {CASE} }} replayed userErrors {{ field code }} }} }}"


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def step(field: str, input_type: str) -> str:
    return (f"mutation($i: {input_type}!) {{ {field}(input: $i) {{ case {{ {CASE} }} replayed "
            "userErrors { field code message } } }")


@pytest.fixture
async def setup(client: httpx.AsyncClient, users: dict[str, str], database: Database, tmp_path: Path) -> dict[str, Any]:
    row = enterprise_row("91610100MD0000001")
    path = tmp_path / "e.csv"
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    assert (await import_enterprises(database, path, actor="t")).inserted == 1
    staff = tmp_path / "i.csv"
    staff.write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                     "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n",
                     encoding="utf-8")
    assert (await import_inspectors(database, staff)).inserted == 2
    return {"code": row["credit_code"], "inspector": await token_for(client, "xian_inspector"),
            "chief": await token_for(client, "xian_supervisor"), "baoji": await token_for(client, "baoji_inspector")}


async def run(client: httpx.AsyncClient, token: str, field: str, input_type: str, **data: Any) -> dict[str, Any]:
    data.setdefault("stepId", str(uuid.uuid4()))
    result = await gql(client, step(field, input_type), {"i": data}, token=token)
    assert "errors" not in result, result
    return dict(result["data"][field])


async def test_a_case_through_graphql(client: httpx.AsyncClient, setup: dict[str, Any]) -> None:
    case_id = str(uuid.uuid4())
    opening = {"caseId": case_id, "creditCode": setup["code"], "source": "ONSITE_FINDING",
               "violations": [{"violationType": "exceed_standard", "description": "COD 超标"}],
               "officers": ["SX-610100-0001", "SX-610100-0002"], "discoveredOn": ago(120)}
    opened = (await gql(client, OPEN, {"i": opening}, token=setup["inspector"]))["data"]["openCase"]
    assert opened["userErrors"] == [] and opened["case"]["status"] == "FILING"
    again = (await gql(client, OPEN, {"i": opening}, token=setup["inspector"]))["data"]["openCase"]
    assert again["replayed"] is True and again["case"]["caseId"] == case_id

    s = setup
    filed = await run(client, s["chief"], "approveCaseFiling", "ApproveCaseFilingInput", caseId=case_id,
                      approved=True, filedOn=ago(110))
    assert filed["case"]["number"].startswith("陕环罚〔")
    reviewed = await run(client, s["inspector"], "reviewCase", "ReviewCaseInput", caseId=case_id,
                         outcome="PENALTY", reviewedOn=ago(102), facts="COD 超标 2.1 倍",
                         fines=[{"violation": 0, "fineYuan": "150000.00"}], measures=["CORRECTION"])
    assert reviewed["userErrors"] == []
    await run(client, s["inspector"], "serveCasePriorNotice", "ServeCasePriorNoticeInput", caseId=case_id,
              servedOn=ago(100), method="DIRECT")
    # A supervisor decides; the inspector may not (FORBIDDEN at the root field).
    forbidden = await gql(client, step("decideCase", "DecideCaseInput"),
                          {"i": {"caseId": case_id, "stepId": str(uuid.uuid4()), "decidedOn": ago(90)}},
                          token=s["inspector"])
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    decided = await run(client, s["chief"], "decideCase", "DecideCaseInput", caseId=case_id, decidedOn=ago(90))
    assert decided["case"]["status"] == "DECIDED"
    served = await run(client, s["inspector"], "serveCaseDecision", "ServeCaseDecisionInput", caseId=case_id,
                       servedOn=ago(88), method="DIRECT")
    main = served["case"]["decisions"][0]
    # Unpaid 73 days after the due date: 3% a day, capped at the fine.
    assert main["dueOn"] == ago(73) and main["balance"]["surchargeYuan"] == "150000.00"
    await run(client, s["chief"], "publishCaseDecision", "PublishCaseDecisionInput", caseId=case_id,
              publishedOn=ago(86))
    # Bad money is refused as a userError, nothing written.
    bad = await run(client, s["inspector"], "recordCasePayment", "RecordCasePaymentInput", caseId=case_id,
                    paidOn=ago(50), amountYuan="0.001", receipt="R")
    assert bad["userErrors"][0]["code"] == "INVALID_NUMBER" and bad["case"] is None
    # The fine plus the surcharge of the days it was late.
    late_days = 73 - 50
    owed = 150_000 + min(150_000, 150_000 * 3 * late_days // 100)
    paid = await run(client, s["inspector"], "recordCasePayment", "RecordCasePaymentInput", caseId=case_id,
                     paidOn=ago(50), amountYuan=f"{owed}.00", receipt="R1")
    assert paid["case"]["decisions"][0]["balance"]["outstandingYuan"] == "0.00"
    closed = await run(client, s["chief"], "closeCase", "CloseCaseInput", caseId=case_id, closedOn=ago(1),
                       summary="罚款缴清")
    assert closed["case"]["status"] == "CLOSED" and closed["case"]["deadlines"] == []

    listed = await gql(client, """query { cases(first: 10) { edges { node { caseId number
      timeline { seq kind actor hash prevHash } } } pageInfo { hasNextPage } } }""", token=s["chief"])
    node = listed["data"]["cases"]["edges"][0]["node"]
    assert node["caseId"] == case_id
    timeline = node["timeline"]
    assert [t["kind"] for t in timeline][:3] == ["OPEN", "APPROVE_FILING", "REVIEW"]
    assert all(b["prevHash"] == a["hash"] for a, b in zip(timeline, timeline[1:], strict=False))
    # Another jurisdiction sees nothing.
    other = await gql(client, "query($c: String!) { case(caseId: $c) { caseId } cases(first: 5) { edges { "
                      "node { caseId } } } }", {"c": case_id}, token=s["baoji"])
    assert other["data"] == {"case": None, "cases": {"edges": []}}


async def test_refusals_are_user_errors_with_codes(client: httpx.AsyncClient, setup: dict[str, Any]) -> None:
    s = setup
    bad_officers = {"caseId": str(uuid.uuid4()), "creditCode": s["code"], "source": "POWER_ALERT",
                    "violations": [{"violationType": "exceed_standard"}], "officers": ["SX-610100-0001"],
                    "discoveredOn": ago(3)}
    result = (await gql(client, OPEN, {"i": bad_officers}, token=s["inspector"]))["data"]["openCase"]
    assert result["case"] is None and result["userErrors"][0]["code"] in ("OFFICERS_REQUIRED", "INVALID_INPUT")
    not_uuid = dict(bad_officers, caseId="x", officers=["SX-610100-0001", "SX-610100-0002"])
    result = (await gql(client, OPEN, {"i": not_uuid}, token=s["inspector"]))["data"]["openCase"]
    assert result["userErrors"][0]["code"] == "INVALID_VALUE"
    case_id = str(uuid.uuid4())
    ok = dict(not_uuid, caseId=case_id)
    assert (await gql(client, OPEN, {"i": ok}, token=s["inspector"]))["data"]["openCase"]["userErrors"] == []
    early = await run(client, s["chief"], "decideCase", "DecideCaseInput", caseId=case_id, decidedOn=ago(1))
    assert early["userErrors"][0]["code"] == "STEP_OUT_OF_ORDER"
    huge = await run(client, s["chief"], "approveCaseFiling", "ApproveCaseFilingInput", caseId=case_id,
                     approved=True, filedOn=ago(1))
    assert huge["userErrors"] == []
    nan = await run(client, s["inspector"], "reviewCase", "ReviewCaseInput", caseId=case_id, outcome="PENALTY",
                    reviewedOn=ago(1), facts="f", fines=[{"violation": 0, "fineYuan": "NaN"}])
    assert nan["userErrors"][0]["code"] in ("INVALID_NUMBER", "BAD_USER_INPUT")
    far = await run(client, s["inspector"], "reviewCase", "ReviewCaseInput", caseId=case_id, outcome="PENALTY",
                    reviewedOn=ago(1), facts="f", fines=[{"violation": 0, "fineYuan": "1e30"}])
    assert far["userErrors"][0]["code"] == "INVALID_NUMBER"
    out = await run(client, s["inspector"], "reviewCase", "ReviewCaseInput", caseId=case_id, outcome="PENALTY",
                    reviewedOn=ago(1), facts="f", fines=[{"violation": 0, "fineYuan": "5000"}])
    assert out["userErrors"][0]["code"] == "FINE_OUT_OF_RANGE"
    lost = await run(client, s["baoji"], "reviewCase", "ReviewCaseInput", caseId=case_id, outcome="PENALTY",
                     reviewedOn=ago(1), facts="f", fines=[{"violation": 0, "fineYuan": "150000"}])
    assert lost["userErrors"][0]["code"] == "NOT_FOUND"
    overdue = await gql(client, "query { cases(first: 5, overdue: true) { edges { node { caseId } } } }",
                        token=s["chief"])
    assert overdue["data"]["cases"]["edges"] == []  # filed today: nothing late yet


async def test_discretion_is_kept_and_a_decided_penalty_reaches_the_events(client: httpx.AsyncClient,
                                                                            setup: dict[str, Any]) -> None:
    s = setup
    case_id = str(uuid.uuid4())
    opening = {"caseId": case_id, "creditCode": s["code"], "source": "OTHER", "discoveredOn": ago(60),
               "violations": [{"violationType": "exceed_standard"}], "officers": ["SX-610100-0001", "SX-610100-0002"]}
    assert (await gql(client, OPEN, {"i": opening}, token=s["inspector"]))["data"]["openCase"]["userErrors"] == []
    await run(client, s["chief"], "approveCaseFiling", "ApproveCaseFilingInput", caseId=case_id, approved=True,
              filedOn=ago(50))
    factors = {"harm": 3, "fault": 3, "means": 3, "object": 3, "correction": 3}  # score 15: level 3
    off_band = await run(client, s["inspector"], "reviewCase", "ReviewCaseInput", caseId=case_id, outcome="PENALTY",
                         reviewedOn=ago(45), facts="f", fines=[{"violation": 0, "fineYuan": "150000",
                                                               "factors": factors}])
    assert off_band["userErrors"][0]["code"] == "REASON_REQUIRED"  # level 3 is 460,000-640,000 yuan
    proposal = "proposal { fines { fineYuan discretion { level recommendedYuan bandMinYuan bandMaxYuan policyVersion } } }"
    reviewed = await gql(client, f"mutation($i: ReviewCaseInput!) {{ reviewCase(input: $i) {{ case {{ {proposal} }} "
                                 "userErrors { code } } }",
                         {"i": {"caseId": case_id, "stepId": str(uuid.uuid4()), "outcome": "PENALTY",
                                "reviewedOn": ago(45), "facts": "f",
                                "fines": [{"violation": 0, "fineYuan": "150000", "factors": factors,
                                           "deviationReason": "首次违法，积极整改"}]}}, token=s["inspector"])
    line = reviewed["data"]["reviewCase"]["case"]["proposal"]["fines"][0]
    assert line["discretion"]["level"] == 3
    assert (line["discretion"]["bandMinYuan"], line["discretion"]["bandMaxYuan"]) == ("460000.00", "640000.00")
    assert line["discretion"]["policyVersion"].startswith("penalty_discretion:")
    await run(client, s["inspector"], "serveCasePriorNotice", "ServeCasePriorNoticeInput", caseId=case_id,
              servedOn=ago(44), method="DIRECT")
    decided = await run(client, s["chief"], "decideCase", "DecideCaseInput", caseId=case_id, decidedOn=ago(38))
    number = decided["case"]["number"]
    events = await gql(client, "query($c: String!) { enterprise(creditCode: $c) { events { kind reference } } }",
                       {"c": s["code"]}, token=s["chief"])
    assert {"kind": "PENALTY", "reference": number} in events["data"]["enterprise"]["events"]
    dated = await gql(client, "query($c: String!) { enterprise(creditCode: $c) { events { kind occurredOn } } }",
                      {"c": s["code"]}, token=s["chief"])
    assert {"kind": "PENALTY", "occurredOn": ago(38)} in dated["data"]["enterprise"]["events"]  # the decision's day
