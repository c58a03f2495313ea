"""The legal arithmetic of cases, on worked examples (DOMAIN rules 23-25, 29; docs/cases.md)."""

from __future__ import annotations

from datetime import date

import pytest

from core.cases import law

YUAN = law.FEN_PER_YUAN


@pytest.mark.parametrize(("served", "reinspected", "days"), [
    # Rule 23: days = re-inspection - (service + 1 day) + 1.
    (date(2027, 3, 1), date(2027, 3, 31), 30),
    (date(2027, 3, 1), date(2027, 3, 2), 1),
    (date(2027, 3, 1), date(2027, 3, 1), 0),  # re-inspected the day of service: nothing to count
    (date(2027, 2, 20), date(2027, 3, 1), 9),  # across the end of a 28-day February
    (date(2028, 2, 20), date(2028, 3, 1), 10),  # and of a leap-year February
])
def test_daily_penalty_days_count_from_the_day_after_service_to_the_reinspection(
        served: date, reinspected: date, days: int) -> None:
    assert law.daily_penalty_days(served, reinspected) == days


def test_daily_penalty_days_accumulate_over_reinspections() -> None:
    # Order served 1 March; re-inspections on 31 March and 20 April both find the discharge continuing.
    first = law.daily_penalty_days(date(2027, 3, 1), date(2027, 3, 31))
    second = law.daily_penalty_days(date(2027, 3, 31), date(2027, 4, 20))
    assert (first, second) == (30, 20)
    assert first + second == law.daily_penalty_days(date(2027, 3, 1), date(2027, 4, 20))
    # Art. 19: a fine of 100,000 yuan a day for 30 days.
    assert 100_000 * YUAN * first == 3_000_000 * YUAN


def test_a_halt_that_ended_the_discharge_stops_the_count() -> None:
    assert law.daily_penalty_end(date(2027, 3, 31), date(2027, 3, 21)) == date(2027, 3, 20)
    assert law.daily_penalty_days(date(2027, 3, 1), law.daily_penalty_end(date(2027, 3, 31), date(2027, 3, 21))) == 19
    assert law.daily_penalty_end(date(2027, 3, 31), date(2027, 4, 5)) == date(2027, 3, 31)  # halted after
    assert law.daily_penalty_end(date(2027, 3, 31), None) == date(2027, 3, 31)


@pytest.mark.parametrize(("fine", "days_late", "surcharge"), [
    (100_000, 0, 0),
    (100_000, 10, 30_000),  # 3% a day for 10 days
    (100_000, 33, 99_000),
    (100_000, 34, 100_000),  # 102% capped at the fine
    (100_000, 400, 100_000),
    (333, 1, 9.99),  # rounded down to the fen
])
def test_late_surcharge_is_three_percent_a_day_capped_at_the_fine(fine: int, days_late: int,
                                                                  surcharge: float) -> None:
    due = date(2027, 3, 16)
    paid = date.fromordinal(due.toordinal() + days_late)
    assert law.surcharge_fen(fine * YUAN, due, paid, 3) == round(surcharge * YUAN)


def test_instalments_with_one_late_instalment() -> None:
    """A 90,000 yuan fine in three instalments; the second is paid 5 days late."""
    plan = [law.Instalment(date(2027, 4, 1), 30_000 * YUAN), law.Instalment(date(2027, 5, 1), 30_000 * YUAN),
            law.Instalment(date(2027, 6, 1), 30_000 * YUAN)]
    payments = [law.Paid(date(2027, 3, 30), 30_000 * YUAN), law.Paid(date(2027, 5, 6), 30_000 * YUAN)]
    mid_may = law.balance(plan, payments, as_of=date(2027, 5, 20), percent_per_day=3)
    assert mid_may.surcharge_fen == 30_000 * YUAN * 3 * 5 // 100 == 4_500 * YUAN
    assert mid_may.outstanding_fen == 30_000 * YUAN
    assert mid_may.overdue_fen == 0
    assert mid_may.next_due_on == date(2027, 6, 1)
    # Nothing more paid: on 11 June the third instalment is 10 days late as well.
    june = law.balance(plan, payments, as_of=date(2027, 6, 11), percent_per_day=3)
    assert june.surcharge_fen == (4_500 + 9_000) * YUAN
    assert june.overdue_fen == 30_000 * YUAN


def test_a_partial_payment_reduces_the_amount_that_accrues() -> None:
    plan = [law.Instalment(date(2027, 4, 1), 10_000 * YUAN)]
    paid = [law.Paid(date(2027, 4, 11), 4_000 * YUAN)]  # 4,000 paid 10 days late; 6,000 still open
    result = law.balance(plan, paid, as_of=date(2027, 4, 21), percent_per_day=3)
    assert result.surcharge_fen == (4_000 * 30 + 6_000 * 60) * YUAN // 100
    assert result.outstanding_fen == 6_000 * YUAN


def test_court_window_after_review_and_litigation_windows() -> None:
    # Served 2027-03-10: review by 9 May, litigation by 10 September; apply by 10 December.
    window = law.court_window(date(2027, 3, 10), review_days=60, litigation_months=6, application_months=3,
                              reminder_days=10)
    assert window.opens_on == date(2027, 9, 11)
    assert window.closes_on == date(2027, 12, 10)
    assert window.remind_by == date(2027, 11, 30)


def test_an_instalment_plan_moves_the_court_window() -> None:
    window = law.court_window(date(2027, 3, 10), review_days=60, litigation_months=6, application_months=3,
                              reminder_days=10, last_due_on=date(2028, 1, 31))
    assert window.opens_on == date(2028, 2, 1)
    assert window.closes_on == date(2028, 4, 30)  # 31 April does not exist


def test_add_months_clamps_to_the_end_of_shorter_months() -> None:
    assert law.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert law.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert law.add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


def test_level_bands_cut_the_statutory_range_in_five() -> None:
    lo, hi = 100_000 * YUAN, 1_000_000 * YUAN
    assert law.level_band(lo, hi, 1) == (100_000 * YUAN, 280_000 * YUAN)
    assert law.level_band(lo, hi, 3) == (460_000 * YUAN, 640_000 * YUAN)
    assert law.level_band(lo, hi, 5) == (820_000 * YUAN, 1_000_000 * YUAN)


def test_hearing_right_by_party_and_measure() -> None:
    thresholds = {"organisation_threshold_fen": 200_000 * YUAN, "individual_threshold_fen": 30_000 * YUAN}
    assert law.hearing_right(200_000 * YUAN, individual=False, measures=[], **thresholds)
    assert not law.hearing_right(199_900 * YUAN, individual=False, measures=[], **thresholds)
    assert law.hearing_right(30_000 * YUAN, individual=True, measures=[], **thresholds)
    assert law.hearing_right(0, individual=False, measures=["suspension"], **thresholds)


def test_major_decisions() -> None:
    assert law.is_major(200_000 * YUAN, [], major_fine_fen=200_000 * YUAN)
    assert not law.is_major(199_999 * YUAN, ["correction"], major_fine_fen=200_000 * YUAN)
    assert law.is_major(0, ["permit_revocation"], major_fine_fen=200_000 * YUAN)


def test_the_court_window_is_flagged_before_it_closes() -> None:
    from datetime import timedelta

    from core.cases.deadlines import deadlines
    from core.cases.models import Case, CaseStatus, Decision, DecisionKind, PartyKind, SourceKind, Violation
    from core.cases.settings import CaseRules

    rules = CaseRules()
    served = date(2027, 3, 10)
    main = Decision(id="main", number="N", kind=DecisionKind.PENALTY, fine_fen=100_000 * YUAN, decided_on=served,
                    served_on=served, due_on=served + timedelta(days=15), published_on=served)
    case = Case(id="c", number="N", jurisdiction="610100", credit_code="X" * 18, party_name="p",
                party_kind=PartyKind.ORGANISATION, source=SourceKind.OTHER, violations=[Violation(
                    violation_type="exceed_standard", legal_basis="b")], officers=["a", "b"], opened_by="o",
                discovered_on=served, opened_on=served, status=CaseStatus.DECIDED, decisions=[main])
    found = {d.name: d.due_on for d in deadlines(case, rules)}
    assert found["payment"] == date(2027, 3, 25)
    assert found["court_enforcement"] == date(2027, 12, 10) - timedelta(days=30)  # window closes 10 December
