"""责令改正 and 按日连续处罚: correction orders, re-inspections, halts, and daily continuous penalties."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from core.accounts.roles import SUPERVISORS
from core.cases import law
from core.cases.models import (
    Case,
    CaseStatus,
    CorrectionOrder,
    DailyPenalty,
    Decision,
    DecisionKind,
    Reinspection,
    ReinspectionFinding,
    ServiceMethod,
)
from core.cases.settings import CaseRules
from core.cases.steps.common import (
    Actor,
    StepInput,
    check_date,
    out_of_order,
    require_handler,
    require_role,
    require_status,
)
from core.cases.steps.decision import notice_for
from core.cases.steps.execution import replace_decision
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, ValidationFailed

ACTIVE = {CaseStatus.INVESTIGATING, CaseStatus.REVIEWED, CaseStatus.NOTIFIED, CaseStatus.DECIDED}


def _order(case: Case, order_id: str) -> CorrectionOrder:
    order = next((o for o in case.orders if o.id == order_id), None)
    if order is None:
        raise NotFound(f"case {case.id} has no correction order {order_id}", field="order")
    return order


def _replace_order(case: Case, order: CorrectionOrder) -> Case:
    return case.model_copy(update={"orders": [order if o.id == order.id else o for o in case.orders]})


class CorrectionOrderInput(StepInput):
    violation: int = Field(ge=0, le=19)
    ordered_on: date
    served_on: date
    correct_by: date


def correction_order(case: Case, data: CorrectionOrderInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "issue a correction order")
    require_status(case, ACTIVE, "order a correction")
    if data.violation >= len(case.violations):
        raise ValidationFailed([FieldError("violation", f"case {case.id} has no violation {data.violation}",
                                           ErrorCode.INVALID_VALUE)])
    check_date(actor, data.ordered_on, "orderedOn", not_before=case.discovered_on, before_what="the discovery")
    check_date(actor, data.served_on, "servedOn", not_before=data.ordered_on, before_what="the order")
    if data.correct_by < data.served_on:
        raise ValidationFailed([FieldError("correctBy", "the deadline is before the service", ErrorCode.DATE_ORDER)])
    order = CorrectionOrder(id=f"order-{len(case.orders) + 1}", violation=data.violation, ordered_on=data.ordered_on,
                            served_on=data.served_on, correct_by=data.correct_by,
                            reinspect_by=data.correct_by + timedelta(days=rules.reinspection_days),
                            counted_to=data.served_on)
    return case.model_copy(update={"orders": [*case.orders, order]})


class ReinspectInput(StepInput):
    order: str
    inspected_on: date
    finding: ReinspectionFinding
    note: str = Field(default="", max_length=4000)


def reinspect(case: Case, data: ReinspectInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record a re-inspection")
    require_status(case, ACTIVE, "re-inspect")
    order = _order(case, data.order)
    if order.status != "open":
        raise out_of_order(case, f"correction order {order.id} is {order.status}")
    check_date(actor, data.inspected_on, "inspectedOn", not_before=order.served_on, before_what="the order's service")
    found = Reinspection(id=f"reinspection-{len(case.reinspections) + 1}", order=order.id,
                         inspected_on=data.inspected_on, finding=data.finding, note=data.note)
    updated = case.model_copy(update={"reinspections": [*case.reinspections, found]})
    if data.finding == ReinspectionFinding.CORRECTED:
        # A recurrence after this is a new violation: a new case and a new count (art. 18).
        updated = _replace_order(updated, order.model_copy(update={"status": "corrected"}))
    return updated


class StopDischargeInput(StepInput):
    stopped_on: date
    measure: str = Field(pattern="^(suspension|restriction|seal|seizure)$")


def stop_discharge(case: Case, data: StopDischargeInput, actor: Actor, rules: CaseRules) -> Case:
    """A halt, seal or seizure that ended the discharge: daily penalty days stop counting (art. 20)."""
    require_handler(case, actor, "record that the discharge stopped")
    require_status(case, ACTIVE, "record a halt")
    check_date(actor, data.stopped_on, "stoppedOn", not_before=case.discovered_on, before_what="the discovery")
    if case.discharge_stopped_on is not None:
        raise out_of_order(case, f"the discharge was recorded as stopped on {case.discharge_stopped_on}")
    return case.model_copy(update={"discharge_stopped_on": data.stopped_on})


class DailyNoticeInput(StepInput):
    reinspection: str
    served_on: date
    method: ServiceMethod


def _main_fine(case: Case, violation: int) -> int:
    main = case.main
    if main is None or main.kind != DecisionKind.PENALTY or main.served_on is None:
        raise Conflict(f"case {case.id}: a daily penalty follows a served fine decision",
                       code=ErrorCode.DAILY_PENALTY_NOT_APPLICABLE)
    fine = next((line.fine_fen for line in main.lines if line.violation == violation), 0)
    if not fine:
        raise Conflict(f"case {case.id}: violation {violation} was not fined",
                       code=ErrorCode.DAILY_PENALTY_NOT_APPLICABLE)
    return fine


def daily_penalty_notice(case: Case, data: DailyNoticeInput, actor: Actor, rules: CaseRules) -> Case:
    """The prior notice of one round of 按日连续处罚: its days and amount from the re-inspection (DOMAIN rule 23)."""
    require_handler(case, actor, "propose a daily continuous penalty")
    require_status(case, {CaseStatus.DECIDED}, "propose a daily penalty")
    found = next((r for r in case.reinspections if r.id == data.reinspection), None)
    if found is None:
        raise NotFound(f"case {case.id} has no re-inspection {data.reinspection}", field="reinspection")
    order = _order(case, found.order)
    violation_type = case.violations[order.violation].violation_type
    if violation_type not in rules.daily_penalty_types:
        raise Conflict(f"{violation_type} is not a violation type that daily penalties may follow (art. 5)",
                       code=ErrorCode.DAILY_PENALTY_NOT_APPLICABLE)
    if found.finding != ReinspectionFinding.CONTINUING or found.penalised:
        raise Conflict(f"re-inspection {found.id} did not find a continuing discharge not yet penalised",
                       code=ErrorCode.DAILY_PENALTY_NOT_APPLICABLE)
    daily = _main_fine(case, order.violation)
    end = law.daily_penalty_end(found.inspected_on, case.discharge_stopped_on)
    days = law.daily_penalty_days(order.counted_to, end)
    if days <= 0:
        raise Conflict(f"case {case.id}: the discharge stopped on {case.discharge_stopped_on}; no days to count",
                       code=ErrorCode.DISCHARGE_STOPPED)
    check_date(actor, data.served_on, "servedOn", not_before=found.inspected_on, before_what="the re-inspection")
    n = sum(1 for d in case.decisions if d.kind == DecisionKind.DAILY_PENALTY) + 1
    assert case.number is not None
    penalty = DailyPenalty(order=order.id, reinspection=found.id, counted_from=order.counted_to + timedelta(days=1),
                           counted_to=end, days=days, daily_fen=daily)
    decision = Decision(id=f"daily-{n}", number=f"{case.number}（按日连续处罚第{n}次）",
                        kind=DecisionKind.DAILY_PENALTY, fine_fen=daily * days, daily=penalty,
                        notice=notice_for(daily * days, [], data.served_on, data.method, case, rules))
    updated = case.model_copy(update={
        "decisions": [*case.decisions, decision],
        "reinspections": [r.model_copy(update={"penalised": True}) if r.id == found.id else r
                          for r in case.reinspections]})
    return _replace_order(updated, order.model_copy(update={"counted_to": end}))


class DailyDecideInput(StepInput):
    decision: str
    decided_on: date


def daily_penalty_decide(case: Case, data: DailyDecideInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "decide a daily continuous penalty")
    require_status(case, {CaseStatus.DECIDED}, "decide a daily penalty")
    decision = case.decision(data.decision)
    if decision is None or decision.kind != DecisionKind.DAILY_PENALTY or decision.notice is None:
        raise NotFound(f"case {case.id} has no proposed daily penalty {data.decision}", field="decision")
    if decision.decided_on is not None:
        raise out_of_order(case, f"{decision.id} was decided on {decision.decided_on}")
    check_date(actor, data.decided_on, "decidedOn", not_before=decision.notice.served_on, before_what="its notice")
    if decision.notice.hearing_right and data.decided_on <= decision.notice.request_by:
        raise Conflict(f"case {case.id}: the party may ask for a hearing until {decision.notice.request_by}",
                       code=ErrorCode.HEARING_PENDING)
    decided = decision.model_copy(update={"decided_on": data.decided_on, "decided_by": actor.username})
    return replace_decision(case, decided)

