"""GraphQL types of a case's decisions: notices, payment plans, payments, balances, court windows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from api.cases.enums import DecisionKind, Measure, NoPenaltyReason, PaymentPlanKind, ServiceMethod, yuan
from api.context import Context
from core.cases import models
from core.cases.money import balance, court_window
from core.cases.settings import CaseRules


@strawberry.type(description="The prior notice (事先告知) as served.")
class CaseNotice:
    served_on: date
    method: ServiceMethod
    hearing_right: bool
    request_by: date
    fine_yuan: Decimal


@strawberry.type(description="A payment received.")
class CasePayment:
    paid_on: date
    amount_yuan: Decimal
    receipt: str


@strawberry.type(description="An instalment or the deferred due date.")
class CaseInstalment:
    due_on: date
    amount_yuan: Decimal


@strawberry.type(description="A deferral or instalment application and its approval.")
class CasePaymentPlan:
    kind: PaymentPlanKind
    applied_on: date
    reason: str
    requested: list[CaseInstalment]
    approved: bool | None
    approved_by: str | None
    approved_on: date | None
    instalments: list[CaseInstalment]


@strawberry.type(description="What the party owes on a day: fine, surcharge (加处罚款), overdue.")
class CaseBalance:
    fine_yuan: Decimal
    paid_yuan: Decimal
    outstanding_yuan: Decimal
    surcharge_yuan: Decimal
    overdue_yuan: Decimal
    next_due_on: date | None


@strawberry.type(description="When the agency may and must apply to a court for enforcement.")
class CourtWindow:
    opens_on: date
    closes_on: date
    remind_by: date


@strawberry.type(description="The days and amount of one round of 按日连续处罚.")
class DailyPenalty:
    order: str
    reinspection: str
    counted_from: date
    counted_to: date
    days: int
    daily_yuan: Decimal


@strawberry.type(description="A decision of the case: the main one, or a daily continuous penalty.")
class CaseDecision:
    decision_id: str
    number: str
    kind: DecisionKind
    fine_yuan: Decimal
    measures: list[Measure]
    no_penalty_reason: NoPenaltyReason | None
    reason: str
    notice: CaseNotice | None
    daily: DailyPenalty | None
    decided_on: date | None
    decided_by: str | None
    decided_late: bool
    served_on: date | None
    service_method: ServiceMethod | None
    due_on: date | None
    plan: CasePaymentPlan | None
    payments: list[CasePayment]
    published_on: date | None
    revision: str | None
    revised_on: date | None
    court_window: CourtWindow | None
    _model: strawberry.Private[models.Decision]

    @strawberry.field(description="What is owed on a day (default today), with the surcharge so far.")
    def balance(self, info: Info[Context, None], as_of: date | None = None) -> CaseBalance:
        found = balance(self._model, as_of or datetime.now(UTC).date(), info.context.services.cases.rules)
        return CaseBalance(fine_yuan=yuan(found.fine_fen), paid_yuan=yuan(found.paid_fen),
                           outstanding_yuan=yuan(found.outstanding_fen), surcharge_yuan=yuan(found.surcharge_fen),
                           overdue_yuan=yuan(found.overdue_fen), next_due_on=found.next_due_on)


def _decision(d: models.Decision, rules: CaseRules) -> CaseDecision:
    window = court_window(d, rules)
    plan = d.plan
    return CaseDecision(
        decision_id=d.id, number=d.number, kind=DecisionKind(d.kind.value), fine_yuan=yuan(d.fine_fen),
        measures=[Measure(m.value) for m in d.measures],
        no_penalty_reason=NoPenaltyReason(d.no_penalty_reason.value) if d.no_penalty_reason else None,
        reason=d.reason, notice=_notice(d.notice),
        daily=DailyPenalty(order=d.daily.order, reinspection=d.daily.reinspection, counted_from=d.daily.counted_from,
                           counted_to=d.daily.counted_to, days=d.daily.days, daily_yuan=yuan(d.daily.daily_fen))
        if d.daily else None,
        decided_on=d.decided_on, decided_by=d.decided_by, decided_late=d.decided_late, served_on=d.served_on,
        service_method=ServiceMethod(d.service_method.value) if d.service_method else None, due_on=d.due_on,
        plan=CasePaymentPlan(
            kind=PaymentPlanKind(plan.kind.value), applied_on=plan.applied_on, reason=plan.reason,
            requested=[CaseInstalment(due_on=i.due_on, amount_yuan=yuan(i.amount_fen)) for i in plan.requested],
            approved=plan.approved, approved_by=plan.approved_by, approved_on=plan.approved_on,
            instalments=[CaseInstalment(due_on=i.due_on, amount_yuan=yuan(i.amount_fen)) for i in plan.instalments])
        if plan else None,
        payments=[CasePayment(paid_on=p.paid_on, amount_yuan=yuan(p.amount_fen), receipt=p.receipt)
                  for p in d.payments],
        published_on=d.published_on, revision=d.revision, revised_on=d.revised_on,
        court_window=CourtWindow(opens_on=window.opens_on, closes_on=window.closes_on, remind_by=window.remind_by)
        if window and d.fine_fen else None,
        _model=d)


def _notice(n: models.Notice | None) -> CaseNotice | None:
    if n is None:
        return None
    return CaseNotice(served_on=n.served_on, method=ServiceMethod(n.method.value), hearing_right=n.hearing_right,
                      request_by=n.request_by, fine_yuan=yuan(n.fine_fen))
