"""What the public may see of cases (一公开): published penalty decisions, masked, as records, JSON and CSV.

One serialiser for every public feed (行政处罚法 art. 48; 按日连续处罚办法 art. 4), so the page, the JSON
and the CSV cannot disagree about what is shown or masked:

- shown: penalty and daily-penalty decisions once published (``Decision.published_on``), with their
  revision (revoked or changed on review) and its reason. A 不予处罚 decision is never shown, even when
  marked published: it is not an administrative penalty, art. 48 publishes penalty decisions "with
  social impact", and the case deadlines (``core.cases.deadlines``) do not ask for its publication.
- masked: an individual party's name (first character, then ``*`` per remaining character) and ID
  number (digits 7 to 14, the birth date, hidden), every representative's name, and in free text
  every 18-character ID number, 11-digit mobile number and the names of the party and representative.

``overdue_publications`` is for supervisors: decided decisions not published within
``rules.publication_working_days`` working days (the same deadline ``core.cases.deadlines`` keeps,
computed here also for closed cases, which keep no deadlines).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from core.cases.law import FEN_PER_YUAN
from core.cases.models import Case, Decision, DecisionKind, PartyKind, Violation
from core.cases.settings import CaseRules
from core.csvsafe import render

PUBLISHED_KINDS = frozenset({DecisionKind.PENALTY, DecisionKind.DAILY_PENALTY})
# Excel reads a UTF-8 CSV as UTF-8 only with the BOM (the other public CSVs carry it too).
BOM = "\ufeff"
LIST_SEPARATOR = " | "  # legal bases themselves contain "; "
# 18-character resident ID (GB 11643): 6-digit region, 8-digit birth date, 3-digit sequence, check digit or X.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
# Mainland mobile numbers, with an optional +86/0086 prefix and spaces or hyphens as 3-4-4.
MOBILE = re.compile(r"(?<![0-9])((?:\+|00)?86[- ]?)?(1[3-9][0-9])[- ]?[0-9]{4}[- ]?([0-9]{4})(?![0-9])")


@dataclass(frozen=True)
class PublicViolation:
    violation_type: str
    legal_basis: str
    description: str  # masked


@dataclass(frozen=True)
class PublicDecision:
    """One published decision as anyone may fetch it; every text field is already masked."""

    case_number: str
    decision_number: str
    kind: str  # penalty | daily_penalty
    jurisdiction: str
    party_name: str
    party_kind: str  # organisation | individual
    credit_code: str  # an individual's ID number masked
    representative: str  # always masked
    violations: tuple[PublicViolation, ...]
    fine_yuan: str  # in force: after a revision, the revised fine ("0.00" when revoked)
    measures: tuple[str, ...]
    decided_on: date
    published_on: date
    revision: str | None = None  # revoked | changed
    revised_on: date | None = None
    revision_reason: str | None = None
    original_fine_yuan: str | None = None  # the fine as first decided, when revised
    daily_days: int | None = None
    daily_from: date | None = None
    daily_to: date | None = None
    daily_fine_yuan: str | None = None  # the amount per day (the original fine, art. 19)


@dataclass(frozen=True)
class OverduePublication:
    """A decided decision not published by its deadline (supervisors only: nothing here is masked)."""

    case_id: str
    case_number: str
    decision_id: str
    decision_number: str
    kind: str
    jurisdiction: str
    party_name: str
    credit_code: str
    decided_on: date
    due_on: date
    days_overdue: int  # calendar days since the deadline


# --- masking ----------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """A person's name: the first character, then one ``*`` per remaining character (张三 → 张*)."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(value: str) -> str:
    """An 18-character ID number with digits 7 to 14 (the birth date) hidden; anything else hidden but its
    first and last characters."""
    value = value.strip()
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[14:]
    return mask_name(value) if len(value) < 3 else value[0] + "*" * (len(value) - 2) + value[-1]


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text with the given people's names, ID numbers and mobile numbers masked."""
    for name in sorted({n.strip() for n in names if len(n.strip()) > 1}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return MOBILE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(3), text)


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals: 12345 → "123.45"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


# --- the public records -----------------------------------------------------------------------------


def _people(case: Case) -> list[str]:
    """The names free text must not show in full."""
    return [case.representative, *([case.party_name] if case.party_kind == PartyKind.INDIVIDUAL else [])]


def _violations(case: Case, decision: Decision) -> list[Violation]:
    if decision.daily is not None:
        order = next((o for o in case.orders if o.id == decision.daily.order), None)
        indexes = [order.violation] if order is not None else []
    else:
        indexes = list(dict.fromkeys(line.violation for line in decision.lines)) or list(range(len(case.violations)))
    return [case.violations[i] for i in indexes if 0 <= i < len(case.violations)]


def _original_fine_fen(decision: Decision) -> int:
    if decision.daily is not None:
        return decision.daily.daily_fen * decision.daily.days
    return sum(line.fine_fen for line in decision.lines)


def _revision_reason(decision: Decision) -> str:
    """The latest revision's reason: the ``revise`` step appends "<revised_on>: <outcome>: <reason>"."""
    assert decision.revision is not None
    assert decision.revised_on is not None
    marker = f"{decision.revised_on.isoformat()}: {decision.revision}: "
    at = decision.reason.rfind(marker)
    return decision.reason[at + len(marker):].strip() if at >= 0 else ""


def public_decision(case: Case, decision: Decision) -> PublicDecision:
    assert decision.decided_on is not None
    assert decision.published_on is not None
    people = _people(case)
    individual = case.party_kind == PartyKind.INDIVIDUAL
    revised = decision.revision is not None and decision.revised_on is not None
    daily = decision.daily
    return PublicDecision(
        case_number=case.number or "", decision_number=decision.number, kind=decision.kind.value,
        jurisdiction=case.jurisdiction,
        party_name=mask_name(case.party_name) if individual else case.party_name, party_kind=case.party_kind.value,
        credit_code=mask_id_number(case.credit_code) if individual else case.credit_code,
        representative=mask_name(case.representative),
        violations=tuple(PublicViolation(v.violation_type, v.legal_basis, mask_text(v.description, people))
                         for v in _violations(case, decision)),
        fine_yuan=yuan(decision.fine_fen), measures=tuple(m.value for m in decision.measures),
        decided_on=decision.decided_on, published_on=decision.published_on,
        revision=decision.revision if revised else None, revised_on=decision.revised_on if revised else None,
        revision_reason=mask_text(_revision_reason(decision), people) if revised else None,
        original_fine_yuan=yuan(_original_fine_fen(decision)) if revised else None,
        daily_days=daily.days if daily else None, daily_from=daily.counted_from if daily else None,
        daily_to=daily.counted_to if daily else None, daily_fine_yuan=yuan(daily.daily_fen) if daily else None)


def public_decisions(cases: Iterable[Case]) -> list[PublicDecision]:
    """Every published penalty and daily-penalty decision of the cases, latest publication first (ties keep
    the cases' order, then each case's decision order)."""
    found = [public_decision(case, d) for case in cases for d in case.decisions
             if d.kind in PUBLISHED_KINDS and d.decided_on is not None and d.published_on is not None]
    return sorted(found, key=lambda d: d.published_on, reverse=True)


# --- the feeds --------------------------------------------------------------------------------------

COLUMNS = [f.name for f in fields(PublicDecision)]


def as_record(decision: PublicDecision) -> dict[str, Any]:
    """A decision as a JSON object: the fields of ``PublicDecision``, dates as ISO strings."""
    record: dict[str, Any] = {}
    for name in COLUMNS:
        value = getattr(decision, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif name == "violations":
            value = [{"violation_type": v.violation_type, "legal_basis": v.legal_basis,
                      "description": v.description} for v in value]
        elif isinstance(value, tuple):
            value = list(value)
        record[name] = value
    return record


def _violation_cell(violation: PublicViolation) -> str:
    text = f"{violation.violation_type}: {violation.legal_basis}"
    return f"{text} — {violation.description}" if violation.description else text


def as_row(decision: PublicDecision) -> dict[str, Any]:
    """A decision as a CSV row: the same fields, lists joined with `` | ``."""
    row = as_record(decision)
    row["violations"] = LIST_SEPARATOR.join(_violation_cell(v) for v in decision.violations)
    row["measures"] = LIST_SEPARATOR.join(decision.measures)
    return row


def to_json(decisions: Iterable[PublicDecision]) -> str:
    return json.dumps({"decisions": [as_record(d) for d in decisions]}, ensure_ascii=False)


def to_csv(decisions: Iterable[PublicDecision]) -> str:
    """The CSV document, BOM first; ``core.csvsafe`` neutralises cells a spreadsheet would run as a formula."""
    return BOM + render(COLUMNS, (as_row(d) for d in decisions))


# --- the supervisors' report ------------------------------------------------------------------------


def publication_due(decision: Decision, rules: CaseRules) -> date | None:
    """The day a decided penalty decision must be published by; None when it needs no publication."""
    if decision.decided_on is None or decision.kind not in PUBLISHED_KINDS:
        return None
    return rules.add_working_days(decision.decided_on, rules.publication_working_days)


def overdue_publications(cases: Iterable[Case], today: date, rules: CaseRules) -> list[OverduePublication]:
    """Decided penalty decisions still unpublished after their deadline (overdue once that day has passed),
    the longest overdue first."""
    found = []
    for case in cases:
        for decision in case.decisions:
            due = publication_due(decision, rules)
            if due is None or decision.published_on is not None or due >= today:
                continue
            assert decision.decided_on is not None
            found.append(OverduePublication(
                case_id=case.id, case_number=case.number or "", decision_id=decision.id,
                decision_number=decision.number, kind=decision.kind.value, jurisdiction=case.jurisdiction,
                party_name=case.party_name, credit_code=case.credit_code, decided_on=decision.decided_on,
                due_on=due, days_overdue=(today - due).days))
    return sorted(found, key=lambda o: (o.due_on, o.case_number, o.decision_id))
