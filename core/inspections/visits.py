"""Inspections done in a calendar year, by inspection date: what the yearly visit cap counts (DOMAIN rule 9).

A visit is a task with a recorded result other than "not inspected", dated by the result's completion
day (the inspection date), never by when the task was created. Double-random inspections count;
targeted ones (alert and anomaly verification, complaints, hotspots) are counted apart and count
towards the cap only when the sampling_ratio policy says so (``visit_cap_counts_targeted``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from core.inspections.models import Outcome, TaskKind
from core.inspections.repository import InspectionRepository


@dataclass
class YearlyVisits:
    random: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # credit code → inspections
    targeted: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def counted(self, code: str, *, count_targeted: bool) -> int:
        return self.random.get(code, 0) + (self.targeted.get(code, 0) if count_targeted else 0)


async def in_year(repository: InspectionRepository, jurisdiction: str, year: int) -> YearlyVisits:
    """The inspections completed in ``year`` on enterprises of ``jurisdiction`` (and its sub-divisions)."""
    return await between(repository, jurisdiction, date(year, 1, 1), date(year, 12, 31))


async def between(repository: InspectionRepository, jurisdiction: str, first: date, last: date) -> YearlyVisits:
    """The inspections completed from ``first`` to ``last`` (inclusive) in ``jurisdiction``."""
    found = YearlyVisits()
    async for code, kind, outcome in repository.completed_between(jurisdiction, first, last):
        if outcome == Outcome.NOT_INSPECTED.value:
            continue  # closed, moved or entry refused: no one was inspected
        (found.random if kind == TaskKind.RANDOM.value else found.targeted)[code] += 1
    return found
