"""After the decision: service, publication, revision, payment plans, payments, court enforcement, 结案."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from core.accounts.roles import SUPERVISORS
from core.cases import law
from core.cases.models import (
    Case,
    CaseStatus,
    Decision,
    DecisionKind,
    Instalment,
    Payment,
    PaymentPlan,
    PlanKind,
    ServiceMethod,
    TransferKind,
)
from core.cases.money import balance, court_window
from core.cases.settings import CaseRules
from core.cases.steps.common import (
    Actor,
    StepInput,
    Text,
    check_date,
    out_of_order,
    require_handler,
    require_role,
    require_status,
)
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, ValidationFailed

DECIDED = {CaseStatus.DECIDED}


def decision_or_raise(case: Case, decision_id: str) -> Decision:
    decision = case.decision(decision_id)
    if decision is None or decision.decided_on is None:
        raise NotFound(f"case {case.id} has no decision {decision_id}", field="decision")
    return decision


def replace_decision(case: Case, decision: Decision) -> Case:
    return case.model_copy(update={"decisions": [decision if d.id == decision.id else d for d in case.decisions]})


class ServeInput(StepInput):
    decision: str = "main"
    served_on: date
    method: ServiceMethod


def serve(case: Case, data: ServeInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "serve a decision")
    require_status(case, DECIDED, "serve a decision")
    decision = decision_or_raise(case, data.decision)
    if decision.served_on is not None:
        raise out_of_order(case, f"decision {decision.id} was served on {decision.served_on}")
    assert decision.decided_on is not None
    check_date(actor, data.served_on, "servedOn", not_before=decision.decided_on, before_what="the decision")
    due = data.served_on + timedelta(days=rules.payment_days) if decision.fine_fen else None
    return replace_decision(case, decision.model_copy(update={"served_on": data.served_on,
                                                              "service_method": data.method, "due_on": due}))


class PublishInput(StepInput):
    decision: str = "main"
    published_on: date


def publish(case: Case, data: PublishInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "publish a decision")
    require_status(case, DECIDED, "publish a decision")
    decision = decision_or_raise(case, data.decision)
    if decision.published_on is not None:
        raise out_of_order(case, f"decision {decision.id} was published on {decision.published_on}")
    assert decision.decided_on is not None
    check_date(actor, data.published_on, "publishedOn", not_before=decision.decided_on, before_what="the decision")
    return replace_decision(case, decision.model_copy(update={"published_on": data.published_on}))


class ReviseInput(StepInput):
    decision: str = "main"
    revised_on: date
    outcome: str = Field(pattern="^(revoked|changed)$")
    fine_fen: int | None = Field(default=None, ge=0, le=10**13)
    reason: str = Text


def revise(case: Case, data: ReviseInput, actor: Actor, rules: CaseRules) -> Case:
    """A decision revoked or changed on administrative review or by a court: a new record, published as such."""
    require_role(actor, SUPERVISORS, "record a revision")
    decision = decision_or_raise(case, data.decision)
    require_status(case, DECIDED, "revise a decision")
    assert decision.decided_on is not None
    check_date(actor, data.revised_on, "revisedOn", not_before=decision.decided_on, before_what="the decision")
    fine = 0 if data.outcome == "revoked" else (decision.fine_fen if data.fine_fen is None else data.fine_fen)
    if fine > decision.fine_fen:
        raise Conflict(f"case {case.id}: a revision on review may not make the fine heavier",
                       code=ErrorCode.HEAVIER_THAN_NOTIFIED, field="fineFen")
    return replace_decision(case, decision.model_copy(update={
        "revision": data.outcome, "revised_on": data.revised_on, "fine_fen": fine,
        "reason": f"{decision.reason}\n{data.revised_on}: {data.outcome}: {data.reason}".strip()}))


class PlanInput(StepInput):
    decision: str = "main"
    kind: PlanKind
    applied_on: date
    reason: str = Text
    requested: list[Instalment] = Field(min_length=1, max_length=36)


def apply_payment_plan(case: Case, data: PlanInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record a payment-plan application")
    require_status(case, DECIDED, "apply for a payment plan")
    decision = decision_or_raise(case, data.decision)
    if decision.served_on is None or not decision.fine_fen:
        raise Conflict(f"case {case.id}: decision {decision.id} has no served fine", code=ErrorCode.NOT_SERVED)
    check_date(actor, data.applied_on, "appliedOn", not_before=decision.served_on, before_what="the service")
    plan = PaymentPlan(kind=data.kind, applied_on=data.applied_on, reason=data.reason, requested=data.requested)
    return replace_decision(case, decision.model_copy(update={"plan": plan}))


class ApprovePlanInput(StepInput):
    decision: str = "main"
    approved: bool
    approved_on: date
    instalments: list[Instalment] | None = None  # None: as requested


def _check_instalments(decision: Decision, parts: list[Instalment], kind: PlanKind) -> None:
    assert decision.due_on is not None
    paid = sum(p.amount_fen for p in decision.payments)
    if (sum(i.amount_fen for i in parts) != decision.fine_fen - paid or any(i.amount_fen <= 0 for i in parts)
            or any(i.due_on <= decision.due_on for i in parts) or (kind == PlanKind.DEFERRAL and len(parts) != 1)):
        raise ValidationFailed([FieldError("instalments", "instalments must be positive, add up to the unpaid fine "
                                           f"({decision.fine_fen - paid} fen) and fall after the due date "
                                           f"{decision.due_on}; a deferral is one instalment",
                                           ErrorCode.INVALID_INSTALMENTS)])


def approve_payment_plan(case: Case, data: ApprovePlanInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "approve a payment plan")
    require_status(case, DECIDED, "approve a payment plan")
    if actor.inspector_id is not None and actor.inspector_id in case.officers:
        raise Conflict(f"{actor.username} handles case {case.id} and may not approve its payment plan",
                       code=ErrorCode.SELF_APPROVAL)
    decision = decision_or_raise(case, data.decision)
    plan = decision.plan
    if plan is None or plan.approved is not None:
        raise Conflict(f"case {case.id}: no pending application for deferral or instalments",
                       code=ErrorCode.NO_APPLICATION)
    check_date(actor, data.approved_on, "approvedOn", not_before=plan.applied_on, before_what="the application")
    parts = data.instalments if data.instalments is not None else plan.requested
    if data.approved:
        _check_instalments(decision, parts, plan.kind)
    decided = plan.model_copy(update={"approved": data.approved, "approved_by": actor.username,
                                      "approved_on": data.approved_on, "instalments": parts if data.approved else []})
    return replace_decision(case, decision.model_copy(update={"plan": decided}))


class PaymentInput(StepInput):
    decision: str = "main"
    paid_on: date
    amount_fen: int = Field(ge=1, le=10**13)
    receipt: str = Field(min_length=1, max_length=100)


def payment(case: Case, data: PaymentInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record a payment")
    require_status(case, DECIDED, "record a payment")
    decision = decision_or_raise(case, data.decision)
    if decision.served_on is None:
        raise Conflict(f"case {case.id}: decision {decision.id} has not been served", code=ErrorCode.NOT_SERVED)
    check_date(actor, data.paid_on, "paidOn", not_before=decision.served_on, before_what="the service")
    owed = balance(decision, data.paid_on, rules)
    surcharge_owed = owed.surcharge_fen - surcharge_paid(owed)
    if data.amount_fen > owed.outstanding_fen + surcharge_owed:
        raise ValidationFailed([FieldError("amountFen", f"only {owed.outstanding_fen} fen of fine and "
                                           f"{surcharge_owed} fen of surcharge are owed", ErrorCode.OVERPAYMENT)])
    paid = Payment(paid_on=data.paid_on, amount_fen=data.amount_fen, receipt=data.receipt)
    return replace_decision(case, decision.model_copy(update={"payments": [*decision.payments, paid]}))


class RemindInput(StepInput):
    reminded_on: date


def remind(case: Case, data: RemindInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "serve the reminder (催告)")
    require_status(case, DECIDED, "remind")
    unpaid = [d for d in case.decisions if d.served_on and balance(d, data.reminded_on, rules).overdue_fen]
    if not unpaid:
        raise out_of_order(case, "nothing is overdue")
    check_date(actor, data.reminded_on, "remindedOn")
    return case.model_copy(update={"reminded_on": data.reminded_on})


class CourtInput(StepInput):
    applied_on: date


def court_application(case: Case, data: CourtInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "apply for court enforcement")
    require_status(case, DECIDED, "apply to the court")
    check_date(actor, data.applied_on, "appliedOn")
    unpaid = [d for d in case.decisions if d.served_on and balance(d, data.applied_on, rules).overdue_fen]
    if not unpaid:
        raise out_of_order(case, "nothing is overdue")
    for decision in unpaid:
        window = court_window(decision, rules)
        assert window is not None
        if data.applied_on < window.opens_on:
            raise Conflict(f"case {case.id}: the court may be asked from {window.opens_on}",
                           code=ErrorCode.COURT_WINDOW_NOT_OPEN, field="appliedOn")
    if case.reminded_on is None or case.reminded_on > data.applied_on - timedelta(days=rules.reminder_days):
        raise Conflict(f"case {case.id}: serve the written reminder at least {rules.reminder_days} days before",
                       code=ErrorCode.REMINDER_REQUIRED)
    return case.model_copy(update={"court_applied_on": data.applied_on})


class CloseInput(StepInput):
    closed_on: date
    summary: str = Text


def close(case: Case, data: CloseInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "close a case")
    require_status(case, DECIDED, "close the case")
    check_date(actor, data.closed_on, "closedOn")
    unserved = [d.id for d in case.decisions if d.decided_on and d.served_on is None]
    if unserved or any(d.decided_on is None for d in case.decisions):
        raise Conflict(f"case {case.id}: decision {(unserved or ['pending'])[0]} is not served yet",
                       code=ErrorCode.NOT_SERVED)
    owing = [d.id for d in case.decisions
             if (b := balance(d, data.closed_on, rules)).outstanding_fen or b.surcharge_fen > surcharge_paid(b)]
    if owing and case.court_applied_on is None:
        raise Conflict(f"case {case.id}: decision {owing[0]} is not paid in full", code=ErrorCode.UNPAID)
    main = case.main
    fine_only = main is not None and main.kind == DecisionKind.PENALTY
    if fine_only and any(t.kind == TransferKind.CRIME and t.outcome is None for t in case.transfers):
        raise Conflict(f"case {case.id} was transferred as a suspected crime: close it after the answer",
                       code=ErrorCode.TRANSFER_UNANSWERED)
    return case.model_copy(update={"status": CaseStatus.CLOSED, "closed_on": data.closed_on,
                                   "closed_by": actor.username, "archive_hash": case.head_hash,
                                   "summary": data.summary})


def surcharge_paid(b: law.Balance) -> int:
    """Payments beyond the fine went to the surcharge."""
    return max(0, b.paid_fen - b.fine_fen)
