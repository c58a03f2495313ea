"""What a case waits for, and by when: computed from its state after every step (DOMAIN rule 29)."""

from __future__ import annotations

from datetime import date, timedelta

from core.cases.models import Case, CaseStatus, Deadline, DecisionKind
from core.cases.money import balance, court_window
from core.cases.settings import CaseRules

FAR_FUTURE = date(9999, 12, 31)


def deadlines(case: Case, rules: CaseRules) -> list[Deadline]:
    """Every open deadline of the case, earliest first; none once it is closed."""
    if case.status in (CaseStatus.CLOSED, CaseStatus.NOT_FILED):
        return []
    found: list[Deadline] = []
    if case.status == CaseStatus.FILING:
        found.append(Deadline(name="filing", due_on=case.discovered_on + timedelta(days=rules.filing_days)))
    elif case.main is None and case.decision_due is not None:
        found.append(Deadline(name="decision", due_on=case.decision_due))
    for decision in case.decisions:
        if decision.decided_on is None:
            continue
        if decision.served_on is None:
            found.append(Deadline(name="service", ref=decision.id,
                                  due_on=decision.decided_on + timedelta(days=rules.service_days)))
        if decision.published_on is None and decision.kind != DecisionKind.NO_PENALTY:
            found.append(Deadline(name="publication", ref=decision.id,
                                  due_on=rules.add_working_days(decision.decided_on, rules.publication_working_days)))
        if decision.served_on is not None and case.court_applied_on is None:
            owed = balance(decision, FAR_FUTURE, rules)
            if owed.next_due_on is not None:
                found.append(Deadline(name="payment", ref=decision.id, due_on=owed.next_due_on))
                window = court_window(decision, rules)
                assert window is not None
                # Flagged while there is still time to act: the warning days before the window closes.
                found.append(Deadline(name="court_enforcement", ref=decision.id,
                                      due_on=window.closes_on - timedelta(days=rules.court_warning_days)))
    for order in case.orders:
        if order.status == "open" and not any(r.order == order.id for r in case.reinspections):
            found.append(Deadline(name="reinspection", ref=order.id, due_on=order.reinspect_by))
    return sorted(found, key=lambda d: (d.due_on, d.name))


def next_due(case: Case) -> date | None:
    return case.deadlines[0].due_on if case.deadlines else None
