"""Every case step: its input, who may sign it, and what it changes. A case is the fold of its steps.

``advance`` is pure: the same steps, actors and times give the same case, so the stored projection
(the ``cases`` document) can always be checked against the append-only step records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Role
from core.cases.deadlines import deadlines
from core.cases.models import Case, Step, StepKind
from core.cases.settings import CaseRules
from core.cases.steps import correction, decision, execution, filing, transfer
from core.cases.steps.common import Actor, StepInput
from core.errors import ValidationFailed
from core.registry.rows import field_errors

Handler = Callable[[Case, Any, Actor, CaseRules], Case]

HANDLERS: dict[StepKind, tuple[type[StepInput], Handler]] = {
    StepKind.APPROVE_FILING: (filing.ApproveFilingInput, filing.approve_filing),
    StepKind.ADD_EVIDENCE: (filing.AddEvidenceInput, filing.add_evidence),
    StepKind.EXTEND_DEADLINE: (filing.ExtendDeadlineInput, filing.extend_deadline),
    StepKind.REVIEW: (decision.ReviewInput, decision.review),
    StepKind.LEGAL_REVIEW: (decision.LegalReviewInput, decision.legal_review),
    StepKind.PRIOR_NOTICE: (decision.PriorNoticeInput, decision.prior_notice),
    StepKind.STATEMENT: (decision.StatementInput, decision.statement),
    StepKind.HEARING_REQUEST: (decision.HearingRequestInput, decision.hearing_request),
    StepKind.HEARING_NOTICE: (decision.HearingNoticeInput, decision.hearing_notice),
    StepKind.HEARING: (decision.HearingInput, decision.hearing),
    StepKind.COLLECTIVE_DISCUSSION: (decision.DiscussionInput, decision.collective_discussion),
    StepKind.DECIDE: (decision.DecideInput, decision.decide),
    StepKind.SERVE: (execution.ServeInput, execution.serve),
    StepKind.PUBLISH: (execution.PublishInput, execution.publish),
    StepKind.REVISE: (execution.ReviseInput, execution.revise),
    StepKind.CORRECTION_ORDER: (correction.CorrectionOrderInput, correction.correction_order),
    StepKind.REINSPECT: (correction.ReinspectInput, correction.reinspect),
    StepKind.STOP_DISCHARGE: (correction.StopDischargeInput, correction.stop_discharge),
    StepKind.DAILY_PENALTY_NOTICE: (correction.DailyNoticeInput, correction.daily_penalty_notice),
    StepKind.DAILY_PENALTY_DECIDE: (correction.DailyDecideInput, correction.daily_penalty_decide),
    StepKind.APPLY_PAYMENT_PLAN: (execution.PlanInput, execution.apply_payment_plan),
    StepKind.APPROVE_PAYMENT_PLAN: (execution.ApprovePlanInput, execution.approve_payment_plan),
    StepKind.PAYMENT: (execution.PaymentInput, execution.payment),
    StepKind.REMIND: (execution.RemindInput, execution.remind),
    StepKind.COURT_APPLICATION: (execution.CourtInput, execution.court_application),
    StepKind.TRANSFER: (transfer.TransferInput, transfer.transfer),
    StepKind.TRANSFER_RECEIPT: (transfer.ReceiptInput, transfer.transfer_receipt),
    StepKind.TRANSFER_OUTCOME: (transfer.OutcomeInput, transfer.transfer_outcome),
    StepKind.CLOSE: (execution.CloseInput, execution.close),
}


def parse(kind: StepKind, data: dict[str, Any]) -> StepInput:
    model = filing.OpenInput if kind == StepKind.OPEN else HANDLERS[kind][0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None


def advance(case: Case | None, kind: StepKind, data: dict[str, Any], actor: Actor, rules: CaseRules) -> Case:
    """The case after one more step (``case`` is None for the opening step), with its deadlines; raises the
    step's coded refusal instead."""
    parsed = parse(kind, data)
    if kind == StepKind.OPEN:
        if case is not None:
            raise ValueError("a case is opened once")
        after = filing.open_case(parsed, actor, rules)  # type: ignore[arg-type]
    else:
        assert case is not None
        after = HANDLERS[kind][1](case, parsed, actor, rules)
    return after.model_copy(update={"deadlines": deadlines(after, rules)})


__all__ = ["HANDLERS", "Actor", "advance", "fold", "parse"]


def fold(steps: list[Step], rules: CaseRules) -> Case | None:
    """The case that stored steps add up to, each re-run as its actor at its time (the projection's check)."""
    case: Case | None = None
    for step in steps:
        actor = Actor(username=step.actor, roles=frozenset(Role(r) for r in step.roles),
                      inspector_id=step.inspector_id, at=step.at)
        case = advance(case, step.kind, {**step.request, **step.computed}, actor, rules)
        case = case.model_copy(update={"version": step.seq, "head_hash": step.hash})
    return case
