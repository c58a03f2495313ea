"""Authorization checks for the case fields, used by the authorization matrix.

Every case field × role × city: anonymous callers get UNAUTHENTICATED; roles outside the field's access rule get
FORBIDDEN; allowed roles outside the case's jurisdiction get NOT_FOUND (a null case, an empty list) and write
nothing; allowed roles inside it reach the step's own rules (a coded userError such as STEP_OUT_OF_ORDER, or the
step applied), never NOT_FOUND. ``seed_case_matrix`` opens one filed case per city through the service.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from conftest import gql

from api.cases.mutations import ACCESS, STEP_MUTATIONS
from core.accounts.models import Role
from core.cases.models import StepKind
from core.cases.repository import CaseRepository
from core.cases.service import CaseService
from core.cases.settings import CaseRules
from core.db import Database
from core.registry.importing import import_inspectors

TODAY = datetime.now(UTC).date()
ROLE_OF = {"prov_supervisor": Role.SUPERVISOR, "xian_supervisor": Role.SUPERVISOR, "xian_inspector": Role.INSPECTOR,
           "baoji_inspector": Role.INSPECTOR, "author": Role.RULE_AUTHOR, "xian_author": Role.RULE_AUTHOR,
           "xian_lawyer": Role.LEGAL_REVIEWER, "admin": Role.ADMIN}
COVERS = {"xian": {"prov_supervisor", "xian_supervisor", "xian_inspector", "xian_lawyer", "admin"},
          "baoji": {"prov_supervisor", "baoji_inspector", "admin"}}
CASES: dict[str, str] = {}


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


# A well-formed input for each step (whether the case's stage allows it is the step's business).
SAMPLES: dict[str, dict[str, Any]] = {
    "approveCaseFiling": {"approved": True, "filedOn": ago(1)},
    "addCaseEvidence": {"evidence": [{"kind": "COMPLAINT", "evidenceId": "none"}]},
    "extendCaseDeadline": {"days": 10, "reason": "r"},
    "reviewCase": {"outcome": "PENALTY", "reviewedOn": ago(1), "facts": "f",
                   "fines": [{"violation": 0, "fineYuan": "150000"}]},
    "legalReviewCase": {"approved": True, "reviewedOn": ago(1), "opinion": "o"},
    "serveCasePriorNotice": {"servedOn": ago(1), "method": "DIRECT"},
    "recordCaseStatement": {"receivedOn": ago(1), "text": "t"},
    "requestCaseHearing": {"requestedOn": ago(1)},
    "scheduleCaseHearing": {"notifiedOn": ago(1), "hearingOn": ago(-10)},
    "recordCaseHearing": {"heldOn": ago(1), "record": "r", "report": "r"},
    "recordCaseDiscussion": {"heldOn": ago(1), "participants": ["a", "b", "c"], "conclusion": "c"},
    "decideCase": {"decidedOn": ago(1)},
    "serveCaseDecision": {"servedOn": ago(1), "method": "DIRECT"},
    "publishCaseDecision": {"publishedOn": ago(1)},
    "reviseCaseDecision": {"revisedOn": ago(1), "outcome": "REVOKED", "reason": "r"},
    "applyCasePaymentPlan": {"kind": "DEFERRAL", "appliedOn": ago(1), "reason": "r",
                             "requested": [{"dueOn": ago(-30), "amountYuan": "1"}]},
    "approveCasePaymentPlan": {"approved": True, "approvedOn": ago(1)},
    "recordCasePayment": {"paidOn": ago(1), "amountYuan": "1", "receipt": "r"},
    "remindCaseParty": {"remindedOn": ago(1)},
    "applyCaseCourtEnforcement": {"appliedOn": ago(1)},
    "closeCase": {"closedOn": ago(1), "summary": "s"},
    "orderCaseCorrection": {"violation": 0, "orderedOn": ago(1), "servedOn": ago(1), "correctBy": ago(-10)},
    "reinspectCase": {"order": "order-9", "inspectedOn": ago(1), "finding": "CONTINUING"},
    "stopCaseDischarge": {"stoppedOn": ago(1), "measure": "SEAL"},
    "noticeCaseDailyPenalty": {"reinspection": "reinspection-9", "servedOn": ago(1), "method": "DIRECT"},
    "decideCaseDailyPenalty": {"decision": "daily-9", "decidedOn": ago(1)},
    "transferCase": {"kind": "CRIME", "organ": "公安局", "reportedOn": ago(2), "decidedAt": f"{ago(2)}T09:00:00Z",
                     "sentAt": f"{ago(1)}T09:00:00Z", "documents": ["移送书"]},
    "recordCaseTransferReceipt": {"transfer": "transfer-9", "receivedOn": ago(1), "receipt": "r"},
    "recordCaseTransferOutcome": {"transfer": "transfer-9", "outcome": "FILED", "outcomeOn": ago(1)},
}


async def seed_case_matrix(database: Database, tmp_path: Path, codes: dict[str, str]) -> None:
    staff = tmp_path / "case_inspectors.csv"
    staff.write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                     "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n"
                     "SX-610300-0001,丙,C3,2099-01-01,610300\nSX-610300-0002,丁,C4,2099-01-01,610300\n",
                     encoding="utf-8")
    await import_inspectors(database, staff)
    from core.accounts.models import Viewer

    chief = Viewer(username="seed", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
    service = CaseService(database, CaseRules())
    for where, city in (("xian", "610100"), ("baoji", "610300")):
        case_id = str(uuid.uuid4())
        await service.open(chief, {"id": case_id, "credit_code": codes[where], "source": "other",
                                   "violations": [{"violation_type": "exceed_standard"}],
                                   "officers": [f"SX-{city}-0001", f"SX-{city}-0002"], "discovered_on": ago(20)},
                           request_id="seed")
        CASES[where] = case_id


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def _allowed(field: str, role: str) -> bool:
    return role != "anonymous" and ROLE_OF[role] in ACCESS[field]


def _refused_at_root(result: dict[str, Any], field: str, role: str) -> bool:
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED", result
        return True
    if not _allowed(field, role):
        assert _code(result) == "FORBIDDEN", result
        return True
    return False


def step_check(field: str) -> Any:
    input_type = field[0].upper() + field[1:] + "Input"
    query = (f"mutation($i: {input_type}!) {{ {field}(input: $i) {{ case {{ caseId version }} "
             "userErrors { code } } }")

    async def check(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str,
                    database: Database) -> None:
        case_id = CASES[where]
        before = await CaseRepository(database).get(case_id)
        data = {"caseId": case_id, "stepId": str(uuid.uuid4()), **SAMPLES[field]}
        result = await gql(client, query, {"i": data}, token=token)
        if _refused_at_root(result, f"Mutation.{field}", role):
            assert await CaseRepository(database).get(case_id) == before
            return
        outcome = result["data"][field]
        codes = [e["code"] for e in outcome["userErrors"]]
        if role not in COVERS[where]:
            assert codes == ["NOT_FOUND"] and outcome["case"] is None, (field, role, where, result)
            assert await CaseRepository(database).get(case_id) == before
        else:
            assert "NOT_FOUND" not in codes or field in _MISSING_REF, (field, role, where, result)

    return check


# Steps whose sample names an order, reinspection, decision or transfer the seeded case does not have.
_MISSING_REF = {"reinspectCase", "noticeCaseDailyPenalty", "decideCaseDailyPenalty", "recordCaseTransferReceipt",
                "recordCaseTransferOutcome", "serveCaseDecision", "publishCaseDecision", "reviseCaseDecision",
                "applyCasePaymentPlan", "approveCasePaymentPlan", "recordCasePayment"}


async def check_case(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str,
                     database: Database) -> None:
    result = await gql(client, "query($c: String!) { case(caseId: $c) { caseId } }", {"c": CASES[where]},
                       token=token)
    if _refused_at_root(result, "Query.case", role):
        return
    expected = {"caseId": CASES[where]} if role in COVERS[where] else None
    assert result["data"]["case"] == expected, (role, where, result)


async def check_cases(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str,
                      database: Database) -> None:
    result = await gql(client, "query { cases(first: 10) { edges { node { caseId } } } }", token=token)
    if _refused_at_root(result, "Query.cases", role):
        return
    seen = {e["node"]["caseId"] for e in result["data"]["cases"]["edges"]}
    assert (CASES[where] in seen) == (role in COVERS[where]), (role, where, result)


async def check_open(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str,
                     database: Database) -> None:
    city = {"xian": "610100", "baoji": "610300"}[where]
    code = (await CaseRepository(database).get(CASES[where])).credit_code  # type: ignore[union-attr]
    case_id = str(uuid.uuid4())
    data = {"caseId": case_id, "creditCode": code, "source": "OTHER", "discoveredOn": ago(2),
            "violations": [{"violationType": "exceed_standard"}], "officers": [f"SX-{city}-0001", f"SX-{city}-0002"]}
    result = await gql(client, "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { caseId } "
                               "userErrors { code } } }", {"i": data}, token=token)
    if not _refused_at_root(result, "Mutation.openCase", role):
        outcome = result["data"]["openCase"]
        if role in COVERS[where]:
            assert outcome == {"case": {"caseId": case_id}, "userErrors": []}, (role, where, result)
        else:
            assert outcome == {"case": None, "userErrors": [{"code": "NOT_FOUND"}]}, (role, where, result)
    stored = await CaseRepository(database).get(case_id)
    assert (stored is not None) == (_allowed("Mutation.openCase", role) and role in COVERS[where])


def report_check(field: str, query: str) -> Any:
    async def check(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str,
                    database: Database) -> None:
        result = await gql(client, query, token=token)
        if not _refused_at_root(result, f"Query.{field}", role):
            assert "errors" not in result and result["data"][field] is not None, (field, role, result)

    return check


CASE_CHECKS: dict[str, Any] = {
    "Query.overduePenaltyPublications": report_check(
        "overduePenaltyPublications", "query { overduePenaltyPublications { caseId daysOverdue } }"),
    "Query.caseDeadlineReport": report_check(
        "caseDeadlineReport", "query { caseDeadlineReport { day cases byDeadline { deadline cases } } }"),
    "Query.case": check_case,
    "Query.cases": check_cases,
    "Mutation.openCase": check_open,
    **{f"Mutation.{m.field}": step_check(m.field) for m in STEP_MUTATIONS},
}
assert set(CASE_CHECKS) == set(ACCESS) and all(m.kind in StepKind for m in STEP_MUTATIONS)
