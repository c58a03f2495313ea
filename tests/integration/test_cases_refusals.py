"""Every bad case step gets its code, writes nothing but its audit record, and leaves the case as it was."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from cases_support import (
    AUTHOR,
    BAOJI_CHIEF,
    CHIEF,
    CHIEF_OFFICER,
    LAWYER,
    OFFICER,
    OFFICER2,
    YUAN,
    Flow,
    ago,
    registry,
    service,
)

from core.audit.repository import AuditRepository
from core.cases.models import CaseStatus, StepKind
from core.cases.repository import CaseRepository
from core.cases.service import CaseService
from core.cases.settings import CaseRules
from core.db import Database
from core.errors import DomainError


async def refused(flow: Flow, viewer: Any, kind: StepKind, **data: Any) -> str:
    before = await CaseRepository(flow.service.database).get(flow.case_id)
    steps_before = len(await CaseRepository(flow.service.database).steps(flow.case_id))
    with pytest.raises(DomainError) as caught:
        await flow.step(viewer, kind, **data)
    assert await CaseRepository(flow.service.database).get(flow.case_id) == before  # nothing written
    assert len(await CaseRepository(flow.service.database).steps(flow.case_id)) == steps_before
    return caught.value.code


@pytest.fixture
async def flow(database: Database, tmp_path: Path) -> Flow:
    return Flow(service(database), await registry(database, tmp_path))


async def test_opening_needs_two_certified_officers_and_a_known_party(flow: Flow) -> None:
    for officers in (["SX-610100-0001"], ["SX-610100-0001", "SX-610100-0003"], ["SX-610100-0001", "NOBODY"],
                     ["SX-610100-0001", "SX-610100-0001"]):
        with pytest.raises(DomainError) as caught:
            await flow.open(officers=officers)
        assert caught.value.code in ("OFFICERS_REQUIRED", "INVALID_INPUT")
    with pytest.raises(DomainError) as caught:
        await flow.open(credit_code="91610100MA0000000X")
    assert caught.value.code == "NOT_FOUND"
    with pytest.raises(DomainError) as caught:
        await flow.open(viewer=AUTHOR)
    assert caught.value.code == "FORBIDDEN"
    with pytest.raises(DomainError) as caught:
        await flow.open(evidence=[{"kind": "evidence_file", "id": str(uuid.uuid4())}])
    assert caught.value.code == "UNKNOWN_EVIDENCE"
    with pytest.raises(DomainError) as caught:
        await flow.open(discovered_on=ago(-3))
    assert caught.value.code == "IN_FUTURE"
    assert await CaseRepository(flow.service.database).get(flow.case_id) is None
    audit = await AuditRepository(flow.service.database).recent(target=f"case:{flow.case_id}")
    assert {a["outcome"] for a in audit} >= {"refused:OFFICERS_REQUIRED", "refused:UNKNOWN_EVIDENCE",
                                             "refused:IN_FUTURE", "refused:FORBIDDEN"}


async def test_steps_out_of_order_and_wrong_signers(flow: Flow) -> None:
    await flow.open()
    assert await refused(flow, CHIEF, StepKind.DECIDE, decided_on=ago(1)) == "STEP_OUT_OF_ORDER"
    assert await refused(flow, OFFICER, StepKind.APPROVE_FILING, approved=True, filed_on=ago(1)) == "FORBIDDEN"
    assert await refused(flow, CHIEF_OFFICER, StepKind.APPROVE_FILING, approved=True,
                         filed_on=ago(1)) == "SELF_APPROVAL"
    assert await refused(flow, CHIEF, StepKind.APPROVE_FILING, approved=False, filed_on=ago(1)) == "REASON_REQUIRED"
    await flow.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(110))
    # Another jurisdiction does not see the case at all.
    assert await refused(flow, BAOJI_CHIEF, StepKind.EXTEND_DEADLINE, days=10, reason="x") == "NOT_FOUND"
    assert await refused(flow, OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(100), facts="f",
                         fines=[{"violation": 0, "fine_fen": 99_999 * YUAN}]) == "FINE_OUT_OF_RANGE"
    assert await refused(flow, OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(100), facts="f",
                         fines=[{"violation": 0, "fine_fen": 1_000_100 * YUAN}]) == "FINE_OUT_OF_RANGE"
    assert await refused(flow, OFFICER, StepKind.REVIEW, outcome="no_penalty", reviewed_on=ago(100),
                         facts="f") == "REASON_REQUIRED"
    assert await refused(flow, OFFICER, StepKind.REVIEW, outcome="no_penalty", reviewed_on=ago(100), facts="f",
                         no_penalty_reason="first_violation_minor") == "INVALID_VALUE"  # exceed_standard not listed
    assert await refused(flow, OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(100), facts="f",
                         fines=[{"violation": 0, "fine_fen": float("nan")}]) == "INVALID_VALUE"
    assert await refused(flow, OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(100), facts="f",
                         fines=[{"violation": 0, "fine_fen": 2**70}]) == "OUT_OF_RANGE"
    await flow.step(CHIEF, StepKind.EXTEND_DEADLINE, days=30, reason="案情复杂")
    assert await refused(flow, CHIEF, StepKind.EXTEND_DEADLINE, days=10, reason="again") == "EXTENSION_USED"


async def test_daily_penalty_needs_an_art5_violation_a_served_order_and_a_continuing_discharge(
        database: Database, tmp_path: Path) -> None:
    code = await registry(database, tmp_path)
    flow = Flow(service(database), code)
    await flow.open(violations=[{"violation_type": "no_permit"}, {"violation_type": "exceed_standard"}])
    await flow.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(110))
    await flow.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="f",
                    fines=[{"violation": 0, "fine_fen": 200_000 * YUAN}, {"violation": 1, "fine_fen": 100_000 * YUAN}])
    await flow.step(CHIEF, StepKind.EXTEND_DEADLINE, days=5, reason="r")
    assert await refused(flow, CHIEF, StepKind.DECIDE, decided_on=ago(95)) == "LEGAL_REVIEW_REQUIRED"  # 300,000
    assert await refused(flow, CHIEF_OFFICER, StepKind.LEGAL_REVIEW, approved=True, reviewed_on=ago(101),
                         opinion="ok") == "FORBIDDEN"
    await flow.step(LAWYER, StepKind.LEGAL_REVIEW, approved=True, reviewed_on=ago(101), opinion="事实清楚")
    await flow.step(OFFICER, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
    assert await refused(flow, OFFICER, StepKind.HEARING_REQUEST, requested_on=ago(94)) == "TOO_LATE"
    assert await refused(flow, CHIEF, StepKind.DECIDE, decided_on=ago(95)) == "DISCUSSION_REQUIRED"
    await flow.step(CHIEF, StepKind.COLLECTIVE_DISCUSSION, held_on=ago(97), participants=["局长", "副局长", "科长"],
                    conclusion="同意")
    assert await refused(flow, CHIEF, StepKind.DECIDE, decided_on=ago(97)) == "HEARING_PENDING"  # window open
    assert await refused(flow, CHIEF, StepKind.DECIDE, decided_on=ago(90),
                         fines=[{"violation": 0, "fine_fen": 250_000 * YUAN}]) == "HEAVIER_THAN_NOTIFIED"
    decided = await flow.step(CHIEF, StepKind.DECIDE, decided_on=ago(90))
    assert decided.main is not None and decided.main.fine_fen == 300_000 * YUAN
    assert await refused(flow, OFFICER, StepKind.PAYMENT, paid_on=ago(80), amount_fen=1, receipt="r") == "NOT_SERVED"
    await flow.step(OFFICER2, StepKind.SERVE, served_on=ago(88), method="direct")
    await flow.step(OFFICER, StepKind.CORRECTION_ORDER, violation=0, ordered_on=ago(88), served_on=ago(88),
                    correct_by=ago(80))
    await flow.step(OFFICER, StepKind.CORRECTION_ORDER, violation=1, ordered_on=ago(88), served_on=ago(88),
                    correct_by=ago(80))
    await flow.step(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on=ago(70), finding="continuing")
    await flow.step(OFFICER, StepKind.REINSPECT, order="order-2", inspected_on=ago(70), finding="corrected")
    # no_permit is not an art. 5 type; the corrected violation has nothing to count.
    assert await refused(flow, OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-1",
                         served_on=ago(69), method="direct") == "DAILY_PENALTY_NOT_APPLICABLE"
    assert await refused(flow, OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-2",
                         served_on=ago(69), method="direct") == "DAILY_PENALTY_NOT_APPLICABLE"
    assert await refused(flow, OFFICER, StepKind.REINSPECT, order="order-2", inspected_on=ago(60),
                         finding="continuing") == "STEP_OUT_OF_ORDER"  # a recurrence is a new case
    assert await refused(flow, CHIEF, StepKind.APPROVE_PAYMENT_PLAN, approved=True,
                         approved_on=ago(60)) == "NO_APPLICATION"
    assert await refused(flow, OFFICER, StepKind.PAYMENT, paid_on=ago(60), amount_fen=700_000 * YUAN,
                         receipt="r") == "OVERPAYMENT"


async def test_a_halt_stops_daily_penalties_and_a_second_round_counts_from_the_first(flow: Flow) -> None:
    await flow.decided()
    await flow.step(OFFICER, StepKind.SERVE, served_on=ago(88), method="direct")
    await flow.step(OFFICER, StepKind.CORRECTION_ORDER, violation=0, ordered_on=ago(88), served_on=ago(88),
                    correct_by=ago(80))
    await flow.step(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on=ago(70), finding="continuing")
    await flow.step(OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-1", served_on=ago(69),
                    method="direct")
    await flow.step(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on=ago(50), finding="continuing")
    await flow.step(OFFICER, StepKind.STOP_DISCHARGE, stopped_on=ago(55), measure="seal")
    second = await flow.step(OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-2",
                             served_on=ago(49), method="direct")
    round2 = second.decision("daily-2")
    assert round2 is not None and round2.daily is not None
    assert (round2.daily.counted_from.isoformat(), round2.daily.counted_to.isoformat()) == (ago(69), ago(56))
    assert round2.daily.days == 14
    await flow.step(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on=ago(40), finding="continuing")
    assert await refused(flow, OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-3",
                         served_on=ago(39), method="direct") == "DISCHARGE_STOPPED"
    assert await refused(flow, CHIEF, StepKind.DAILY_PENALTY_DECIDE, decision="daily-2",
                         decided_on=ago(46)) == "HEARING_PENDING"


async def test_a_crime_transfer_must_be_answered_before_a_fine_only_closure(flow: Flow) -> None:
    await flow.decided(fine_yuan=100_000)
    await flow.step(OFFICER, StepKind.SERVE, served_on=ago(88), method="direct")
    await flow.step(OFFICER, StepKind.PAYMENT, paid_on=ago(80), amount_fen=100_000 * YUAN, receipt="R")
    moved = await flow.step(OFFICER, StepKind.TRANSFER, kind="crime", organ="西安市公安局", reported_on=ago(85),
                            decided_at=f"{ago(84)}T09:00:00+08:00", sent_at=f"{ago(83)}T10:00:00+08:00",
                            documents=["移送书", "案件调查报告", "涉案物品清单"])
    assert moved.transfers[0].sent_late and not moved.transfers[0].decided_late
    assert await refused(flow, CHIEF, StepKind.CLOSE, closed_on=ago(1), summary="s") == "TRANSFER_UNANSWERED"
    assert await refused(flow, OFFICER, StepKind.TRANSFER_OUTCOME, transfer="transfer-1", outcome="filed",
                         outcome_on=ago(70)) == "STEP_OUT_OF_ORDER"  # no receipt yet
    await flow.step(OFFICER, StepKind.TRANSFER_RECEIPT, transfer="transfer-1", received_on=ago(82), receipt="回执1")
    await flow.step(OFFICER, StepKind.TRANSFER_OUTCOME, transfer="transfer-1", outcome="filed", outcome_on=ago(60))
    closed = await flow.step(CHIEF, StepKind.CLOSE, closed_on=ago(1), summary="移送公安立案侦查")
    assert closed.status == CaseStatus.CLOSED
    assert await refused(flow, OFFICER, StepKind.PAYMENT, paid_on=ago(1), amount_fen=1,
                         receipt="r") == "ALREADY_CLOSED"


async def test_a_replayed_step_returns_the_stored_case_and_another_payload_is_an_id_conflict(flow: Flow) -> None:
    await flow.open()
    again = await flow.service.open(OFFICER, flow.opening(), request_id="t")
    assert again[1] is False
    with pytest.raises(DomainError) as caught:
        await flow.service.open(OFFICER, flow.opening(representative="张三"), request_id="t")
    assert caught.value.code == "ID_CONFLICT"
    step_id = str(uuid.uuid4())
    first = await flow.step(CHIEF, StepKind.APPROVE_FILING, step_id, approved=True, filed_on=ago(110))
    replay, created = await flow.service.record(CHIEF, flow.case_id, StepKind.APPROVE_FILING, step_id,
                                                {"approved": True, "filed_on": ago(110)}, request_id="t")
    assert (replay, created) == (first, False)
    assert replay.number == first.number  # the number was not drawn twice
    with pytest.raises(DomainError) as caught:
        await flow.service.record(CHIEF, flow.case_id, StepKind.APPROVE_FILING, step_id,
                                  {"approved": True, "filed_on": ago(109)}, request_id="t")
    assert caught.value.code == "ID_CONFLICT"


async def test_two_devices_recording_at_once_never_lose_or_fork_a_step(flow: Flow) -> None:
    await flow.decided()
    await flow.step(OFFICER, StepKind.SERVE, served_on=ago(88), method="direct")

    async def pay(n: int) -> str:
        for _ in range(20):
            try:
                await flow.step(OFFICER, StepKind.PAYMENT, f"00000000-0000-4000-8000-{n:012d}", paid_on=ago(80),
                                amount_fen=1_000 * YUAN, receipt=f"R{n}")
                return "ok"
            except DomainError as exc:
                if exc.code not in ("CONCURRENT_WRITE", "TRANSACTION_BUSY"):
                    return exc.code
        return "gave up"

    results = await asyncio.gather(*(pay(n) for n in range(6)))
    assert results == ["ok"] * 6
    case = await CaseRepository(flow.service.database).get(flow.case_id)
    steps = await CaseRepository(flow.service.database).steps(flow.case_id)
    assert case is not None and case.main is not None
    assert sorted(p.receipt for p in case.main.payments) == [f"R{n}" for n in range(6)]
    assert case.version == len(steps) and [s.seq for s in steps] == list(range(1, len(steps) + 1))


async def test_the_source_finding_is_the_first_evidence_and_must_exist(flow: Flow) -> None:
    with pytest.raises(DomainError) as caught:
        await flow.open(source="power_alert", source_id="no-such-alert")
    assert caught.value.code == "UNKNOWN_EVIDENCE"
    with pytest.raises(DomainError) as caught:
        await flow.open(source="onsite_finding", source_id="no-such-task")
    assert caught.value.code == "UNKNOWN_EVIDENCE"
    assert await CaseRepository(flow.service.database).get(flow.case_id) is None


async def test_a_case_opened_from_a_complaint_carries_it_as_evidence(flow: Flow) -> None:
    from datetime import UTC, datetime

    from cases_support import CHIEF as SUPERVISOR

    from core.nonsite.complaints import ComplaintService

    complaint_id = str(uuid.uuid4())
    await ComplaintService(flow.service.database).record_complaint(SUPERVISOR, {
        "id": complaint_id, "channel": "12369", "received_at": datetime.now(UTC), "jurisdiction": "610100",
        "content": "夜间偷排", "credit_code": flow.credit_code})
    case = await flow.open(source="complaint", source_id=complaint_id)
    assert [(e.kind.value, e.id) for e in case.evidence] == [("complaint", complaint_id)]


async def test_a_retry_after_the_penalty_hook_failed_still_records_the_event(database: Database, tmp_path: Path) -> None:
    """The decision was stored but the PENALTY event hook failed (a crash between the two): the client's
    retry of the same step is a replay, and it records the event, dated by the decision, once."""
    calls: list[tuple[str, str]] = []

    async def flaky(case: Any, decision: Any, request_id: str) -> None:
        calls.append((decision.id, str(decision.decided_on)))
        if len(calls) == 1:
            raise RuntimeError("the events store was unavailable")

    flow = Flow(CaseService(database, CaseRules(), on_penalty=flaky), await registry(database, tmp_path))
    await flow.filed()
    await flow.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="f",
                    fines=[{"violation": 0, "fine_fen": 150_000 * YUAN}])
    await flow.step(OFFICER, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
    step_id = str(uuid.uuid4())
    with pytest.raises(RuntimeError):
        await flow.step(CHIEF, StepKind.DECIDE, step_id, decided_on=ago(90))
    case, created = await flow.service.record(CHIEF, flow.case_id, StepKind.DECIDE, step_id,
                                              {"decided_on": ago(90)}, request_id="retry")
    assert created is False and case.status == CaseStatus.DECIDED
    assert calls == [("main", ago(90)), ("main", ago(90))]
