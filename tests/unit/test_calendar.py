"""Working-day arithmetic for publication deadlines."""

from __future__ import annotations

from datetime import date

from scheduler.calendar import WorkingCalendar

# 2026 National Day holiday (illustrative configuration): 1–7 October off, 10 October a make-up day.
NATIONAL_DAY = WorkingCalendar.from_strings([f"2026-10-0{d}" for d in range(1, 8)], ["2026-10-10"])


def test_weekends_are_skipped() -> None:
    plain = WorkingCalendar()
    assert plain.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday → Monday
    assert plain.add_working_days(date(2026, 11, 27), 20) == date(2026, 12, 25)
    assert plain.add_working_days(date(2026, 11, 27), 0) == date(2026, 11, 27)


def test_holidays_are_skipped_and_makeup_days_count() -> None:
    assert not NATIONAL_DAY.is_working_day(date(2026, 10, 5))
    assert NATIONAL_DAY.is_working_day(date(2026, 10, 10))  # a Saturday made a working day
    # Completed on Wednesday 30 September: 1 Oct–7 Oct off, Sat 10 Oct counts, then 12 Oct onward.
    assert NATIONAL_DAY.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert NATIONAL_DAY.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert NATIONAL_DAY.add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)


def test_working_days_between_is_the_inverse() -> None:
    for days in (0, 1, 5, 20, 43):
        end = NATIONAL_DAY.add_working_days(date(2026, 9, 25), days)
        assert NATIONAL_DAY.working_days_between(date(2026, 9, 25), end) == days
