"""Demo cases: five Xi'an cases at the stages users look at first, recorded step by step through CaseService."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from core.accounts.models import Viewer
from core.cases.models import StepKind
from core.cases.service import CaseService
from core.db import Database
from core.demo.inspectors import DEMO_INSPECTORS
from core.demo.users import demo_viewer
from core.registry.repository import EnterpriseRepository, InspectorRepository, in_jurisdictions

XIAN = ("610100",)
OFFICER = demo_viewer("inspector1")
CHIEF = demo_viewer("supervisor1")
LAWYER = demo_viewer("lawyer1")
NAMESPACE = uuid.UUID("6c6b3a4e-2f7e-4f0e-9d3c-0a1b2c3d4e5f")
Step = Callable[..., Awaitable[Any]]


def _ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


class _Walk:
    """One demo case: deterministic ids, so loading twice finds the steps already recorded."""

    def __init__(self, service: CaseService, name: str, credit_code: str) -> None:
        self.service, self.name, self.code = service, name, credit_code
        self.case_id = str(uuid.uuid5(NAMESPACE, name))
        self.count = 0

    async def open(self, violation: str, discovered: int, source: str = "onsite_finding") -> None:
        await self.service.open(OFFICER, {"id": self.case_id, "credit_code": self.code, "source": source,
                                          "violations": [{"violation_type": violation}],
                                          "officers": list(DEMO_INSPECTORS), "discovered_on": _ago(discovered)},
                                request_id="demo")

    async def step(self, viewer: Viewer, step_kind: StepKind, /, **data: Any) -> None:
        self.count += 1
        step_id = str(uuid.uuid5(NAMESPACE, f"{self.name}:{self.count}"))
        await self.service.record(viewer, self.case_id, step_kind, step_id, data, request_id="demo")

    async def decided(self, fine_yuan: int, violation: str = "exceed_standard") -> None:
        """Found 120 days ago, filed, fined, notified, decided 90 days ago and served."""
        await self.open(violation, 120)
        await self.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=_ago(110))
        await self.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=_ago(102),
                        facts="现场检查发现超标排放", fines=[{"violation": 0, "fine_fen": fine_yuan * 100}],
                        measures=["correction"])
        await self.step(OFFICER, StepKind.PRIOR_NOTICE, served_on=_ago(100), method="direct")
        await self.step(CHIEF, StepKind.DECIDE, decided_on=_ago(90))
        await self.step(OFFICER, StepKind.SERVE, served_on=_ago(88), method="direct")
        await self.step(CHIEF, StepKind.PUBLISH, published_on=_ago(85))


async def _closed_with_instalments(walk: _Walk) -> None:
    await walk.decided(90_000, "fugitive_emission")
    await walk.step(OFFICER, StepKind.APPLY_PAYMENT_PLAN, kind="instalments", applied_on=_ago(80), reason="资金困难",
                    requested=[{"due_on": _ago(60), "amount_fen": 3_000_000},
                               {"due_on": _ago(30), "amount_fen": 3_000_000},
                               {"due_on": _ago(10), "amount_fen": 3_000_000}])
    await walk.step(CHIEF, StepKind.APPROVE_PAYMENT_PLAN, approved=True, approved_on=_ago(79))
    await walk.step(OFFICER, StepKind.PAYMENT, paid_on=_ago(61), amount_fen=3_000_000, receipt="PZ-001")
    await walk.step(OFFICER, StepKind.PAYMENT, paid_on=_ago(25), amount_fen=3_000_000, receipt="PZ-002")  # 5 days late
    await walk.step(OFFICER, StepKind.PAYMENT, paid_on=_ago(10), amount_fen=3_000_000, receipt="PZ-003")
    await walk.step(OFFICER, StepKind.PAYMENT, paid_on=_ago(9), amount_fen=450_000, receipt="PZ-004")  # 加处罚款
    await walk.step(CHIEF, StepKind.CLOSE, closed_on=_ago(5), summary="分期缴清罚款及加处罚款")


async def _daily_penalty(walk: _Walk) -> None:
    await walk.decided(150_000)
    await walk.step(OFFICER, StepKind.CORRECTION_ORDER, violation=0, ordered_on=_ago(88), served_on=_ago(88),
                    correct_by=_ago(78))
    await walk.step(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on=_ago(70), finding="continuing")
    await walk.step(OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-1", served_on=_ago(69),
                    method="direct")
    await walk.step(CHIEF, StepKind.DAILY_PENALTY_DECIDE, decision="daily-1", decided_on=_ago(60))
    await walk.step(OFFICER, StepKind.SERVE, decision="daily-1", served_on=_ago(59), method="direct")


async def _awaiting_legal_review(walk: _Walk) -> None:
    await walk.open("no_permit", 40)
    await walk.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=_ago(35))
    await walk.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=_ago(5), facts="无证排污",
                    fines=[{"violation": 0, "fine_fen": 50_000_000}], measures=["suspension"])


async def _transferred(walk: _Walk) -> None:
    await walk.open("hazardous_waste_dumping", 30)
    await walk.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=_ago(28))
    await walk.step(OFFICER, StepKind.TRANSFER, kind="crime", organ="西安市公安局", reported_on=_ago(20),
                    decided_at=f"{_ago(19)}T10:00:00+08:00", sent_at=f"{_ago(19)}T16:00:00+08:00",
                    documents=["涉嫌犯罪案件移送书", "案件调查报告", "涉案物品清单", "检验报告"])
    await walk.step(OFFICER, StepKind.TRANSFER_RECEIPT, transfer="transfer-1", received_on=_ago(18),
                    receipt="西公(环)受字〔回执〕")


async def _awaiting_filing(walk: _Walk) -> None:
    await walk.open("monitoring_not_connected", 3, source="power_alert")


SCENARIOS: list[tuple[str, Callable[[_Walk], Awaitable[None]]]] = [
    ("closed-with-instalments", _closed_with_instalments), ("daily-penalty", _daily_penalty),
    ("awaiting-legal-review", _awaiting_legal_review), ("transferred", _transferred),
    ("awaiting-filing", _awaiting_filing)]


async def load_demo_cases(database: Database, service: CaseService) -> int:
    """Record the demo cases on Xi'an enterprises that the demo officers have no conflict with; returns how many.
    Loading again changes nothing: every case and step id is fixed."""
    officers = await InspectorRepository(database).by_ids(list(DEMO_INSPECTORS))
    conflicts = {code for officer in officers.values() for code in officer.conflicts}
    codes = [c for c in await EnterpriseRepository(database).codes_where(in_jurisdictions(XIAN), limit=100)
             if c not in conflicts]
    for (name, scenario), code in zip(SCENARIOS, codes, strict=False):
        await scenario(_Walk(service, f"{name}:{code}", code))
    return min(len(SCENARIOS), len(codes))
