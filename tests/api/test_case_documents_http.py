"""GET /cases/{id}/documents/{kind}.pdf: a case walked to a served decision on the real database, fetched over HTTP."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from conftest import enterprise_row, token_for
from pypdf import PdfReader

from core.accounts.models import Role, Viewer
from core.cases.models import Case, StepKind
from core.cases.service import CaseService
from core.cases.settings import CaseRules
from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors

TODAY = datetime.now(UTC).date()
OFFICER = Viewer(username="insp1", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                 inspector_id="SX-610100-0001")
CHIEF = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def decided_case(database: Database, tmp_path: Path) -> Case:
    """A Xi'an enterprise fined 150,000 yuan: filed, notified, decided and served."""
    row = enterprise_row("91610100MC0000001")
    (tmp_path / "e.csv").write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    assert (await import_enterprises(database, tmp_path / "e.csv", actor="t")).inserted == 1
    (tmp_path / "i.csv").write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                                    "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n",
                                    encoding="utf-8")
    assert (await import_inspectors(database, tmp_path / "i.csv")).inserted == 2
    cases = CaseService(database, CaseRules())
    case_id = str(uuid.uuid4())
    await cases.open(OFFICER, {"id": case_id, "credit_code": row["credit_code"], "source": "onsite_finding",
                               "violations": [{"violation_type": "exceed_standard", "description": "COD 超标 2.1 倍"}],
                               "officers": ["SX-610100-0001", "SX-610100-0002"], "discovered_on": ago(120)},
                     request_id="t")

    async def step(viewer: Viewer, kind: StepKind, **data: Any) -> Case:
        case, _ = await cases.record(viewer, case_id, kind, str(uuid.uuid4()), data, request_id="t")
        return case

    await step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(110))
    await step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="COD 连续超标",
               fines=[{"violation": 0, "fine_fen": 150_000 * 100}], measures=["correction"])
    await step(OFFICER, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
    await step(CHIEF, StepKind.DECIDE, decided_on=ago(90))
    return await step(OFFICER, StepKind.SERVE, served_on=ago(88), method="direct")


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


async def get(client: httpx.AsyncClient, path: str, user: str | None, **headers: str) -> httpx.Response:
    if user is not None:
        headers["authorization"] = f"Bearer {await token_for(client, user)}"
    return await client.get(path, headers=headers)


async def test_a_supervisor_reads_the_penalty_decision(client: httpx.AsyncClient, users: dict[str, str],
                                                       database: Database, tmp_path: Path) -> None:
    case = await decided_case(database, tmp_path)
    path = f"/cases/{case.id}/documents/penalty_decision.pdf"
    response = await get(client, path, "xian_supervisor")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    digest = hashlib.sha256(response.content).hexdigest()
    assert response.headers["x-content-sha256"] == digest
    assert response.headers["etag"] == f'"{digest}"'
    text = text_of(response.content)
    assert case.number is not None
    due = TODAY - timedelta(days=73)  # 15 days after the service
    for expected in [case.number, case.party_name, case.credit_code, "行政处罚决定书", "150,000.00元",
                     f"15日内（即{due.year}年{due.month}月{due.day}日前）", "3%", "60日内", "6个月内"]:
        assert expected in text, expected

    again = await get(client, path + "?ref=main", "xian_supervisor")
    assert again.content == response.content  # the same state, the same bytes
    unchanged = await get(client, path, "xian_supervisor", **{"if-none-match": f'"{digest}"'})
    assert unchanged.status_code == 304 and unchanged.content == b""


async def test_the_prior_notice_names_who_served_it(client: httpx.AsyncClient, users: dict[str, str],
                                                    database: Database, tmp_path: Path) -> None:
    case = await decided_case(database, tmp_path)
    response = await get(client, f"/cases/{case.id}/documents/prior_notice.pdf", "xian_supervisor")
    assert response.status_code == 200, response.text
    text = text_of(response.content)
    assert "行政处罚事先告知书" in text and "签发人Signedbyinsp1" in text  # the signer comes from the step record


async def test_who_may_not_read_the_case_gets_no_document(client: httpx.AsyncClient, users: dict[str, str],
                                                          database: Database, tmp_path: Path) -> None:
    case = await decided_case(database, tmp_path)
    path = f"/cases/{case.id}/documents/penalty_decision.pdf"
    for user, status, code in [("baoji_inspector", 404, "NOT_FOUND"), (None, 401, "UNAUTHENTICATED"),
                               ("author", 403, "FORBIDDEN")]:
        response = await get(client, path, user)
        assert response.status_code == status, (user, response.text)
        assert response.json()["code"] == code
        assert response.headers["content-type"] == "application/json"


async def test_a_document_the_case_does_not_have_is_not_found(client: httpx.AsyncClient, users: dict[str, str],
                                                             database: Database, tmp_path: Path) -> None:
    case = await decided_case(database, tmp_path)
    for document, message in [("correction_order.pdf?ref=order-1", "no correction_order document order-1"),
                              ("no_penalty_decision.pdf", "no no_penalty_decision document main"),
                              ("summons.pdf", "no document kind 'summons'")]:
        response = await get(client, f"/cases/{case.id}/documents/{document}", "xian_supervisor")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "NOT_FOUND" and message in response.json()["message"]
    missing = await get(client, f"/cases/{uuid.uuid4()}/documents/filing.pdf", "xian_supervisor")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
