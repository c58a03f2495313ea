"""The case rules an agency configures (deadlines, thresholds, the number pattern), taken from Settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.cases.law import FEN_PER_YUAN
from core.config import Settings
from core.reference import tables


def _calendar_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


@dataclass(frozen=True)
class FineRange:
    minimum_fen: int
    maximum_fen: int
    legal_basis: str


def statutory_ranges() -> dict[str, FineRange]:
    return {kind: FineRange(r.minimum * FEN_PER_YUAN, r.maximum * FEN_PER_YUAN, r.legal_basis)
            for kind, r in tables.statutory_fines().items()}


@dataclass(frozen=True)
class CaseRules:
    authority: str = "陕环"
    number_pattern: str = "{authority}罚〔{year}〕{seq}号"
    filing_days: int = 15
    decision_days: int = 90
    extension_max_days: int = 30
    hearing_request_days: int = 5
    hearing_notice_days: int = 7
    service_days: int = 7
    publication_working_days: int = 7
    payment_days: int = 15
    surcharge_percent_per_day: int = 3
    review_window_days: int = 60
    litigation_window_months: int = 6
    court_application_months: int = 3
    reminder_days: int = 10
    court_warning_days: int = 30
    reinspection_days: int = 30
    hearing_threshold_organisation_fen: int = 200_000 * FEN_PER_YUAN
    hearing_threshold_individual_fen: int = 30_000 * FEN_PER_YUAN
    major_fine_fen: int = 200_000 * FEN_PER_YUAN
    transfer_decision_days: int = 3
    transfer_send_hours: int = 24
    daily_penalty_types: frozenset[str] = frozenset(
        {"exceed_standard", "evade_supervision", "hazardous_waste_dumping", "fugitive_emission"})
    first_violation_types: frozenset[str] = frozenset({"monitoring_not_connected", "fugitive_emission"})
    fines: dict[str, FineRange] = field(default_factory=statutory_ranges)
    # Working days (the publication deadline); the scheduler's calendar with holidays is given at assembly.
    add_working_days: Callable[[date, int], date] = _calendar_days

    def number(self, year: int, seq: int) -> str:
        return self.number_pattern.format(authority=self.authority, year=year, seq=seq)


def _codes(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def case_rules(settings: Settings, add_working_days: Callable[[date, int], date] | None = None) -> CaseRules:
    s = settings
    return CaseRules(
        authority=s.case_authority, number_pattern=s.case_number_pattern, filing_days=s.case_filing_days,
        decision_days=s.case_decision_days, extension_max_days=s.case_extension_max_days,
        hearing_request_days=s.case_hearing_request_days, hearing_notice_days=s.case_hearing_notice_days,
        service_days=s.case_service_days, publication_working_days=s.case_publication_working_days,
        payment_days=s.case_payment_days, surcharge_percent_per_day=s.case_surcharge_percent_per_day,
        review_window_days=s.case_review_window_days, litigation_window_months=s.case_litigation_window_months,
        court_application_months=s.case_court_application_months, reminder_days=s.case_reminder_days,
        court_warning_days=s.case_court_warning_days, reinspection_days=s.case_reinspection_days,
        hearing_threshold_organisation_fen=s.case_hearing_threshold_organisation_yuan * FEN_PER_YUAN,
        hearing_threshold_individual_fen=s.case_hearing_threshold_individual_yuan * FEN_PER_YUAN,
        major_fine_fen=s.case_major_fine_yuan * FEN_PER_YUAN, transfer_decision_days=s.case_transfer_decision_days,
        transfer_send_hours=s.case_transfer_send_hours, daily_penalty_types=_codes(s.case_daily_penalty_types),
        first_violation_types=_codes(s.case_first_violation_types),
        add_working_days=add_working_days or _calendar_days)
