"""The daily deadline job: flag every open case whose deadlines have passed, once per case and day.

A case's open deadlines (filing, decision, service, publication, payment, court_enforcement, reinspection)
are stored with it after every step (``core.cases.deadlines``), together with the earliest one as
``next_due``. The job streams the open cases whose ``next_due`` is before the day over the
(open, next_due) index and writes one ``case_flags`` document per case and day, in batches; a flag that
an earlier run of the same day wrote is left as it is, so the job can run again without effect.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from core import leases
from core.accounts.models import Viewer
from core.accounts.roles import CASE_READERS
from core.cases.models import CaseFlag, Deadline, FlagReport
from core.cases.repository import CaseRepository
from core.db import Database
from core.errors import NotFound, PermissionDenied

JOB = "case-deadlines"
BATCH = 1000


def passed(deadlines: list[Deadline], day: date) -> list[Deadline]:
    """The deadlines overdue on ``day``: due on an earlier day (a deadline due today is not late yet)."""
    return [d for d in deadlines if d.due_on < day]


class OverdueService:
    def __init__(self, database: Database, *, batch: int = BATCH) -> None:
        self.database = database
        self.batch = batch
        self.cases = CaseRepository(database)

    async def flag_overdue(self, day: date) -> FlagReport:
        """Flag the open cases overdue on ``day``; safe to run again (only missing flags are written)."""
        at = datetime.now(UTC)
        cases = new = 0
        by_deadline = Counter[str]()
        async for rows in self.cases.overdue_deadlines(day, batch=self.batch):
            flags = [CaseFlag(case_id=case_id, day=day, jurisdiction=jurisdiction, deadlines=late, at=at)
                     for case_id, jurisdiction, deadlines in rows if (late := passed(deadlines, day))]
            for flag in flags:
                by_deadline.update(d.name for d in flag.deadlines)
            cases += len(flags)
            new += await self.cases.add_flags(flags)
        return FlagReport(day=day, cases=cases, by_deadline=dict(sorted(by_deadline.items())), new=new)

    async def run_daily(self, day: date) -> dict[str, Any]:
        """The scheduler's job: the day is claimed first (a job-run record), so another replica, or a later
        round the same day, does nothing; a failed run gives its claim back."""
        if not await leases.mark_done(self.database, JOB, day.isoformat(), {}):
            return {"skipped": f"overdue cases already flagged on {day.isoformat()}"}
        try:
            report = await self.flag_overdue(day)
        except BaseException:
            await leases.forget(self.database, JOB, day.isoformat())
            raise
        return report.model_dump(mode="json")

    async def flags_of(self, viewer: Viewer, case_id: str) -> list[CaseFlag]:
        """The days the job found a case overdue, latest first."""
        _may_read(viewer)
        case = await self.cases.get(case_id)
        if case is None or not viewer.covers(case.jurisdiction):
            raise NotFound(f"case {case_id} not found", field="caseId")
        return await self.cases.flags_of(case_id)

    async def report(self, viewer: Viewer, day: date) -> FlagReport:
        """The cases of the viewer's jurisdictions flagged on ``day``, counted by overdue deadline."""
        _may_read(viewer)
        cases, by_deadline = await self.cases.flag_counts(day, list(viewer.jurisdictions))
        return FlagReport(day=day, cases=cases, by_deadline=by_deadline)


def _may_read(viewer: Viewer) -> None:
    if not viewer.has_any(CASE_READERS):
        raise PermissionDenied("this account may not see cases")
