"""A case from a finding to a served, paid and closed decision, with a daily continuous penalty and an
instalment plan with one late instalment, on the real server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cases_support import CHIEF, LAWYER, OFFICER, OFFICER2, TODAY, YUAN, Flow, ago, registry, service

from core.cases.integrity import CaseCheck, check_case
from core.cases.models import CaseStatus, StepKind
from core.cases.repository import CaseRepository
from core.cases.steps import fold
from core.db import Database


async def test_a_case_from_finding_to_closure(database: Database, tmp_path: Path) -> None:
    code = await registry(database, tmp_path)
    cases = service(database)
    flow = Flow(cases, code)
    opened = await flow.open()
    assert opened.status == CaseStatus.FILING
    assert opened.party_name.startswith("测试企业")
    assert opened.violations[0].legal_basis.startswith("《大气污染防治法》")  # from the statutory table
    assert [d.name for d in opened.deadlines] == ["filing"]

    filed = await flow.step(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on=ago(110))
    assert filed.number == f"陕环罚〔{(TODAY - timedelta(days=110)).year}〕1号"
    assert filed.decision_due == TODAY - timedelta(days=20)  # 90 days after filing

    reviewed = await flow.step(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on=ago(102), facts="COD 超标",
                               fines=[{"violation": 0, "fine_fen": 150_000 * YUAN}], measures=["correction"])
    assert reviewed.proposal is not None and not reviewed.proposal.major
    notified = await flow.step(OFFICER2, StepKind.PRIOR_NOTICE, served_on=ago(100), method="direct")
    assert notified.notice is not None and not notified.notice.hearing_right  # 150,000 < 200,000 yuan
    decided = await flow.step(CHIEF, StepKind.DECIDE, decided_on=ago(90))
    assert decided.status == CaseStatus.DECIDED and decided.main is not None
    assert decided.main.fine_fen == 150_000 * YUAN and not decided.main.decided_late
    served = await flow.step(OFFICER, StepKind.SERVE, served_on=ago(88), method="direct")
    assert served.main is not None and served.main.due_on.isoformat() == ago(73)  # type: ignore[union-attr]
    await flow.step(CHIEF, StepKind.PUBLISH, published_on=ago(86))

    # 责令改正, a re-inspection that finds the discharge continuing, and one round of daily penalties.
    await flow.step(OFFICER, StepKind.CORRECTION_ORDER, violation=0, ordered_on=ago(88), served_on=ago(88),
                    correct_by=ago(78))
    await flow.step(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on=ago(70), finding="continuing")
    daily = await flow.step(OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-1",
                            served_on=ago(69), method="direct")
    round1 = daily.decision("daily-1")
    assert round1 is not None and round1.daily is not None
    assert round1.daily.days == 18  # from the day after service (ago 87) to the re-inspection (ago 70)
    assert round1.fine_fen == 150_000 * YUAN * 18
    assert round1.notice is not None and round1.notice.hearing_right
    await flow.step(CHIEF, StepKind.DAILY_PENALTY_DECIDE, decision="daily-1", decided_on=ago(60))
    await flow.step(OFFICER, StepKind.SERVE, decision="daily-1", served_on=ago(59), method="mail")
    await flow.step(CHIEF, StepKind.PUBLISH, decision="daily-1", published_on=ago(58))

    # The main fine in three instalments; the second paid five days late.
    await flow.step(OFFICER, StepKind.APPLY_PAYMENT_PLAN, kind="instalments", applied_on=ago(80), reason="资金困难",
                    requested=[{"due_on": ago(60), "amount_fen": 50_000 * YUAN},
                               {"due_on": ago(30), "amount_fen": 50_000 * YUAN},
                               {"due_on": ago(10), "amount_fen": 50_000 * YUAN}])
    await flow.step(CHIEF, StepKind.APPROVE_PAYMENT_PLAN, approved=True, approved_on=ago(79))
    await flow.step(OFFICER, StepKind.PAYMENT, paid_on=ago(61), amount_fen=50_000 * YUAN, receipt="R1")
    await flow.step(OFFICER, StepKind.PAYMENT, paid_on=ago(25), amount_fen=50_000 * YUAN, receipt="R2")
    await flow.step(OFFICER, StepKind.PAYMENT, paid_on=ago(10), amount_fen=50_000 * YUAN, receipt="R3")
    surcharge = 50_000 * YUAN * 3 * 5 // 100
    refused = await _close_refused(flow)
    assert refused == "UNPAID"  # the surcharge of the late instalment and the daily penalty are open
    await flow.step(OFFICER, StepKind.PAYMENT, paid_on=ago(9), amount_fen=surcharge, receipt="R4")
    await flow.step(OFFICER, StepKind.PAYMENT, decision="daily-1", paid_on=ago(45),
                    amount_fen=150_000 * YUAN * 18, receipt="R5")
    closed = await flow.step(CHIEF, StepKind.CLOSE, closed_on=ago(1), summary="罚款及加处罚款缴清")
    assert closed.status == CaseStatus.CLOSED and closed.deadlines == []
    assert closed.archive_hash is not None and len(closed.archive_hash) == 64

    # The stored case is exactly what its steps add up to, and the steps form a hash chain.
    steps = await CaseRepository(database).steps(flow.case_id)
    assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(steps, steps[1:], strict=False))
    assert fold(steps, cases.rules) == closed
    assert check_case(closed, steps, cases.rules) == CaseCheck(steps=len(steps))  # every hash computes again
    assert LAWYER.username not in {s.actor for s in steps}


async def _close_refused(flow: Flow) -> str:
    from core.errors import DomainError

    try:
        await flow.step(CHIEF, StepKind.CLOSE, closed_on=ago(5), summary="x")
    except DomainError as exc:
        return exc.code
    return "closed"
