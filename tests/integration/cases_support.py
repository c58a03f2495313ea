"""Shared set-up for the case tests: a Xi'an enterprise, two certified officers, the people who sign."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import enterprise_row

from core.accounts.models import Role, Viewer
from core.cases.models import Case, StepKind
from core.cases.service import CaseService
from core.cases.settings import CaseRules
from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors

TODAY = datetime.now(UTC).date()
XIAN = ("610100",)
OFFICER = Viewer(username="insp1", roles=frozenset({Role.INSPECTOR}), jurisdictions=XIAN,
                 inspector_id="SX-610100-0001")
OFFICER2 = Viewer(username="insp2", roles=frozenset({Role.INSPECTOR}), jurisdictions=XIAN,
                  inspector_id="SX-610100-0002")
CHIEF = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=XIAN)
# A supervisor who is also one of the handling officers: may not approve his own case.
CHIEF_OFFICER = Viewer(username="chief2", roles=frozenset({Role.SUPERVISOR}), jurisdictions=XIAN,
                       inspector_id="SX-610100-0001")
LAWYER = Viewer(username="lex", roles=frozenset({Role.LEGAL_REVIEWER}), jurisdictions=XIAN)
BAOJI_CHIEF = Viewer(username="baoji", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610300",))
AUTHOR = Viewer(username="author", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
YUAN = 100


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def registry(database: Database, tmp_path: Path) -> str:
    row = enterprise_row("91610100MC0000001")
    path = tmp_path / "e.csv"
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    assert (await import_enterprises(database, path, actor="t")).inserted == 1
    staff = tmp_path / "i.csv"
    staff.write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                     "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n"
                     "SX-610100-0003,丙,C3,2000-01-01,610100\n", encoding="utf-8")
    assert (await import_inspectors(database, staff)).inserted == 3
    return row["credit_code"]


class Flow:
    """One case walked through its steps, each with a fresh step id unless one is given."""

    def __init__(self, service: CaseService, credit_code: str) -> None:
        self.service = service
        self.credit_code = credit_code
        self.case_id = str(uuid.uuid4())

    def opening(self, **extra: Any) -> dict[str, Any]:
        return {"id": self.case_id, "credit_code": self.credit_code, "source": "onsite_finding",
                "violations": [{"violation_type": "exceed_standard", "description": "COD 超标 2.1 倍"}],
                "officers": ["SX-610100-0001", "SX-610100-0002"], "discovered_on": ago(120), **extra}

    async def open(self, viewer: Viewer = OFFICER, **extra: Any) -> Case:
        case, _ = await self.service.open(viewer, self.opening(**extra), request_id="t")
        return case

    async def step(self, viewer: Viewer, step_kind: StepKind, step_id: str | None = None, /, **data: Any) -> Case:
        case, _ = await self.service.record(viewer, self.case_id, step_kind, step_id or str(uuid.uuid4()), data,
                                            request_id="t")
        return case

    async def filed(self, days_ago: int = 110) -> Case:
        await self.open()
        return await self.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(days_ago))

    async def decided(self, fine_yuan: int = 150_000) -> Case:
        """Filed 110 days ago, fined, notified 100 days ago, decided 90 days ago."""
        await self.filed()
        await self.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="COD 超标",
                        fines=[{"violation": 0, "fine_fen": fine_yuan * YUAN}], measures=["correction"])
        await self.step(OFFICER, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
        return await self.step(CHIEF, StepKind.DECIDE, decided_on=ago(90))


def service(database: Database, **rules: Any) -> CaseService:
    return CaseService(database, CaseRules(**rules))


def days(d: str) -> date:
    return date.fromisoformat(d)
