"""Working days: weekends and public holidays are off, make-up working days (调休) are on.

The publication deadline (DOMAIN rule 21) counts working days after the check is completed.
Holidays and make-up days are configuration (``ECOINSPECT_HOLIDAYS``, ``ECOINSPECT_MAKEUP_DAYS``),
since the State Council publishes them year by year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.config import Settings


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_strings(cls, holidays: Iterable[str], makeup_days: Iterable[str]) -> WorkingCalendar:
        return cls(frozenset(date.fromisoformat(d) for d in holidays if d.strip()),
                   frozenset(date.fromisoformat(d) for d in makeup_days if d.strip()))

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current, left = start, days
        while left:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count


def calendar_from(settings: Settings) -> WorkingCalendar:
    return WorkingCalendar.from_strings(settings.holidays.split(","), settings.makeup_days.split(","))


def publication_deadline(settings: Settings) -> Callable[[date], date]:
    """The publication deadline of a check completed on a day: ``publication_deadline_days`` working days later."""
    calendar = calendar_from(settings)

    def due(completed_on: date) -> date:
        return calendar.add_working_days(completed_on, settings.publication_deadline_days)

    return due
