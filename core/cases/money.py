"""What a decision's party owes and by when: its instalments, balance with surcharge, and court window."""

from __future__ import annotations

from datetime import date

from core.cases import law
from core.cases.models import Decision
from core.cases.settings import CaseRules


def instalments(decision: Decision) -> list[law.Instalment]:
    """What the party owes and when: the approved plan, or the whole fine on the due date."""
    if decision.plan is not None and decision.plan.approved:
        return [law.Instalment(i.due_on, i.amount_fen) for i in decision.plan.instalments]
    if decision.due_on is None or decision.fine_fen == 0 or decision.revision == "revoked":
        return []
    return [law.Instalment(decision.due_on, decision.fine_fen)]


def balance(decision: Decision, as_of: date, rules: CaseRules) -> law.Balance:
    return law.balance(instalments(decision), [law.Paid(p.paid_on, p.amount_fen) for p in decision.payments],
                       as_of=as_of, percent_per_day=rules.surcharge_percent_per_day)


def court_window(decision: Decision, rules: CaseRules) -> law.CourtWindow | None:
    if decision.served_on is None:
        return None
    plan = instalments(decision) if decision.plan is not None and decision.plan.approved else []
    return law.court_window(decision.served_on, review_days=rules.review_window_days,
                            litigation_months=rules.litigation_window_months,
                            application_months=rules.court_application_months, reminder_days=rules.reminder_days,
                            last_due_on=max((i.due_on for i in plan), default=None))
