"""Coverage of a supervision cycle (DOMAIN rule 6): per class, how many enterprises a double-random inspection reached.

An enterprise counts as inspected when a double-random task on it has a result other than "not
inspected" whose inspection date (``completed_on``) falls in the cycle. The cycle starts on 1
January of the year asked for and lasts ``cycle_years`` calendar years (the sampling_ratio policy
in force on its first day; one year by default). Classes are the enterprises' current supervision
class (the stored supervision_class decision, else the default rule; ``core/policies/classes.py``).
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import FieldError, PermissionDenied, ValidationFailed
from core.events.service import history_for
from core.inspections import law, visits
from core.inspections.repository import InspectionRepository
from core.pagination import check_first
from core.policies.classes import supervision_class
from core.policies.models import SupervisionClass
from core.policies.repository import DecisionRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository


@dataclass(frozen=True)
class ClassCoverage:
    supervision_class: str
    enterprises: int
    inspected: int

    @property
    def share(self) -> float:
        return self.inspected / self.enterprises if self.enterprises else 0.0


@dataclass(frozen=True)
class Uninspected:
    credit_code: str
    name: str
    jurisdiction: str
    supervision_class: str


@dataclass(frozen=True)
class CoverageReport:
    jurisdiction: str
    cycle_start: date
    cycle_end: date
    policy_version: str | None  # the sampling_ratio version that set the cycle (None: the default)
    classes: list[ClassCoverage]
    uninspected: list[Uninspected]  # one page, by credit code
    cursors: list[str]
    has_next: bool
    uninspected_total: int


def _cursor(code: str) -> str:
    return base64.urlsafe_b64encode(f"code:{code}".encode()).decode()


def _after(cursor: str | None) -> str:
    if not cursor:
        return ""
    try:
        kind, code = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        if kind != "code":
            raise ValueError(kind)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed([FieldError("after", "after is not a cursor this list gave out",
                                           ErrorCode.INVALID_CURSOR)]) from exc
    return code


class CoverageService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.tasks = InspectionRepository(database)
        self.enterprises = EnterpriseRepository(database)

    async def report(self, viewer: Viewer, jurisdiction: str, cycle: int, *, first: int = 50,
                     after: str | None = None, today: date | None = None) -> CoverageReport:
        """The coverage of the cycle starting in year ``cycle`` (supervisors of ``jurisdiction``, admins)."""
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("coverage reports are for supervisors")
        if jurisdiction not in tables.divisions():
            raise ValidationFailed([FieldError("jurisdiction", f"unknown jurisdiction code {jurisdiction}",
                                               ErrorCode.INVALID_VALUE)])
        if not viewer.covers(jurisdiction):
            raise PermissionDenied(f"jurisdiction {jurisdiction} is outside your scope")
        if not 2000 <= cycle <= 2100:
            raise ValidationFailed([FieldError("cycle", "cycle is the year the cycle starts (2000-2100)",
                                               ErrorCode.INVALID_VALUE)])
        check_first(first)
        start_after = _after(after)
        start = date(cycle, 1, 1)
        bounds = await law.in_force(self.database, start)
        end = date(cycle + bounds.cycle_years - 1, 12, 31)
        done = await visits.between(self.tasks, jurisdiction, start, end)
        day = min(today or datetime.now(UTC).date(), end)
        sizes: Counter[str] = Counter()
        inspected: Counter[str] = Counter()
        uninspected: list[Uninspected] = []
        async for part in self.enterprises.stream_population(jurisdiction, [], batch=1000):
            codes = [doc["credit_code"] for doc in part]
            decisions = await DecisionRepository(self.database).current(codes)
            histories = await history_for(self.database, codes, day)
            for doc in part:
                code = doc["credit_code"]
                cls = supervision_class({**doc, "decisions": decisions.get(code, {}),
                                         "history": histories[code]}).value
                sizes[cls] += 1
                if done.random.get(code, 0):
                    inspected[cls] += 1
                else:
                    uninspected.append(Uninspected(code, doc.get("name", ""), doc.get("jurisdiction", ""), cls))
        uninspected.sort(key=lambda u: u.credit_code)
        rest = [u for u in uninspected if u.credit_code > start_after]
        page = rest[:first]
        return CoverageReport(
            jurisdiction=jurisdiction, cycle_start=start, cycle_end=end, policy_version=bounds.version,
            classes=[ClassCoverage(c.value, sizes[c.value], inspected[c.value]) for c in SupervisionClass],
            uninspected=page, cursors=[_cursor(u.credit_code) for u in page], has_next=len(rest) > first,
            uninspected_total=len(uninspected))
