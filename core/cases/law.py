"""The legal arithmetic of a case, as pure functions: deadlines, daily penalties, surcharges, court windows.

Money is in fen (1 yuan = 100 fen) as integers, so every figure is exact; dates are calendar days.
Each function names the DOMAIN.md rule or article it encodes; docs/cases.md works the examples.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

FEN_PER_YUAN = 100
LEVELS = 5  # discretion levels, 1 the lightest (环执法〔2019〕42号: 3 to 5 levels)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (6 months after 31 Aug: 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def daily_penalty_days(counted_to: date, reinspected_on: date) -> int:
    """Days of a daily continuous penalty (DOMAIN rule 23; 按日连续处罚办法 art. 17).

    The count runs from the day after ``counted_to`` (the correction order's service date, or the last day
    an earlier daily penalty counted) to the re-inspection that finds the discharge continuing, both
    included: re-inspection date - (counted_to + 1 day) + 1. Re-inspections accumulate because each
    round starts where the previous one ended.
    """
    return max(0, (reinspected_on - (counted_to + timedelta(days=1))).days + 1)


def daily_penalty_end(reinspected_on: date, discharge_stopped_on: date | None) -> date:
    """The last day a daily penalty may count: the re-inspection, or the day before a halt, seal or
    seizure ended the discharge if that came first (art. 20)."""
    if discharge_stopped_on is not None and discharge_stopped_on <= reinspected_on:
        return discharge_stopped_on - timedelta(days=1)
    return reinspected_on


def surcharge_fen(amount_fen: int, due_on: date, paid_on: date, percent_per_day: int) -> int:
    """加处罚款 on one late amount (DOMAIN rule 24; 行政处罚法 art. 72): percent of the amount per day
    late, rounded down to the fen, never more than the amount itself."""
    days = (paid_on - due_on).days
    if days <= 0:
        return 0
    return min(amount_fen, amount_fen * percent_per_day * days // 100)


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount_fen: int


@dataclass(frozen=True)
class Paid:
    paid_on: date
    amount_fen: int


@dataclass(frozen=True)
class Balance:
    """Where a fine stands on a day: what is still owed, the surcharge so far, and what is overdue."""

    fine_fen: int
    paid_fen: int
    outstanding_fen: int
    surcharge_fen: int
    overdue_fen: int
    next_due_on: date | None


@dataclass
class _Part:
    due_on: date
    amount_fen: int
    unpaid_fen: int
    surcharge_fen: int = 0


def balance(instalments: Sequence[Instalment], payments: Iterable[Paid], *, as_of: date,
            percent_per_day: int) -> Balance:
    """Payments settle the instalments in due order; each amount paid late, or still unpaid on ``as_of``
    after its due date, accrues the surcharge for its own days late, capped per instalment at its amount
    (so the whole surcharge never exceeds the fine)."""
    parts = [_Part(i.due_on, i.amount_fen, i.amount_fen) for i in sorted(instalments, key=lambda i: i.due_on)]
    paid_total = 0
    for payment in sorted(payments, key=lambda p: p.paid_on):
        left = payment.amount_fen
        paid_total += left
        for part in parts:
            take = min(left, part.unpaid_fen)
            if take:
                part.surcharge_fen += surcharge_fen(take, part.due_on, payment.paid_on, percent_per_day)
                part.unpaid_fen -= take
                left -= take
    for part in parts:
        part.surcharge_fen = min(part.amount_fen, part.surcharge_fen
                                 + surcharge_fen(part.unpaid_fen, part.due_on, as_of, percent_per_day))
    return Balance(
        fine_fen=sum(p.amount_fen for p in parts), paid_fen=paid_total,
        outstanding_fen=sum(p.unpaid_fen for p in parts), surcharge_fen=sum(p.surcharge_fen for p in parts),
        overdue_fen=sum(p.unpaid_fen for p in parts if p.due_on < as_of),
        next_due_on=next((p.due_on for p in parts if p.unpaid_fen), None))


@dataclass(frozen=True)
class CourtWindow:
    """When the agency may and must apply to a court to enforce an unpaid decision (行政强制法 arts. 53–54)."""

    opens_on: date  # the day after the review and litigation windows (or the deferral) end
    closes_on: date  # the last day to apply
    remind_by: date  # the written reminder (催告) must be served at least ``reminder_days`` before applying


def court_window(served_on: date, *, review_days: int, litigation_months: int, application_months: int,
                 reminder_days: int, last_due_on: date | None = None) -> CourtWindow:
    """The party may seek review within ``review_days`` and sue within ``litigation_months`` of service;
    after both have passed, the agency applies within ``application_months``. An approved deferral or
    instalment plan moves the start to the end of that plan (DOMAIN rule 24)."""
    windows_end = max(served_on + timedelta(days=review_days), add_months(served_on, litigation_months))
    start = max(windows_end, last_due_on) if last_due_on else windows_end
    opens_on = start + timedelta(days=1)
    closes_on = add_months(start, application_months)
    return CourtWindow(opens_on=opens_on, closes_on=closes_on,
                       remind_by=closes_on - timedelta(days=reminder_days))


def level_band(minimum_fen: int, maximum_fen: int, level: int) -> tuple[int, int]:
    """The part of the statutory range that discretion level ``level`` (1..5) covers: the range cut in
    five equal bands, so a fine outside its recommended band needs a written reason (DOMAIN rule 25)."""
    width = maximum_fen - minimum_fen
    return (minimum_fen + width * (level - 1) // LEVELS, minimum_fen + width * level // LEVELS)


def hearing_right(fine_fen: int, *, individual: bool, organisation_threshold_fen: int,
                  individual_threshold_fen: int, measures: Iterable[str]) -> bool:
    """行政处罚法 art. 63: a hearing may be asked for a larger fine (threshold per kind of party), or for
    suspension, closure, permit revocation or a lowered qualification, whatever the fine."""
    threshold = individual_threshold_fen if individual else organisation_threshold_fen
    return fine_fen >= threshold or bool(set(measures) & HEARING_MEASURES)


HEARING_MEASURES = frozenset({"suspension", "closure", "permit_revocation", "qualification_lowered"})
MAJOR_MEASURES = frozenset({"suspension", "closure", "permit_revocation"})


def is_major(fine_fen: int, measures: Iterable[str], *, major_fine_fen: int) -> bool:
    """A major decision (重大执法决定) needs legal review (art. 58) and collective discussion (art. 57):
    a fine at or over the configured amount, 责令停产整治/停产停业, or revoking a permit."""
    return fine_fen >= major_fine_fen or bool(set(measures) & MAJOR_MEASURES)
