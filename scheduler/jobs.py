"""Periodic jobs: plans from templates each period, and notices of overdue publications and unstaffed tasks.

Each job takes a lease (one replica runs it) and is idempotent per period key: running it twice
for the same period changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import leases
from core.accounts.models import Viewer
from core.accounts.roles import ADMINS
from core.db import Database
from core.inspections.repository import InspectionRepository, NoticeRepository, TemplateRepository
from core.inspections.results import ResultService
from core.inspections.service import PlanService
from core.reference import tables

log = logging.getLogger(__name__)
SYSTEM = Viewer(username="scheduler", roles=ADMINS, jurisdictions=(tables.root_code(),))


def period_of(day: date, cadence: str) -> tuple[str, date, date]:
    """The period containing ``day``: (key, first day, last day) for quarterly, half_yearly or yearly."""
    months = {"quarterly": 3, "half_yearly": 6, "yearly": 12}[cadence]
    index = (day.month - 1) // months
    start = date(day.year, index * months + 1, 1)
    end_month = start.month + months
    end = (date(day.year + 1, 1, 1) if end_month > 12 else date(day.year, end_month, 1)) - timedelta(days=1)
    suffix = {"quarterly": f"Q{index + 1}", "half_yearly": f"H{index + 1}", "yearly": "Y"}[cadence]
    return f"{day.year}-{suffix}", start, end


@dataclass
class JobResult:
    job: str
    period: str
    ran: bool
    detail: dict[str, Any]


Job = Callable[[date], Awaitable[dict[str, Any]]]


class Jobs:
    def __init__(self, database: Database, plans: PlanService, results: ResultService, *,
                 extra: dict[str, Job] | None = None) -> None:
        """``extra``: jobs owned by other packages, such as the daily policy re-decision
        (``PolicyService.redecide_daily``) and the daily flagging of overdue cases (``OverdueService.run_daily``)."""
        self.database = database
        self.plans = plans
        self.results = results
        self.templates = TemplateRepository(database)
        self.tasks = InspectionRepository(database)
        self.notices = NoticeRepository(database)
        self.extra = extra or {}

    async def generate_plans(self, today: date) -> dict[str, Any]:
        created = []
        for template in await self.templates.all():
            key, start, end = period_of(today, template.cadence)
            run_key = f"{template.id}:{key}"
            # Claim the period first: a second run (or replica) for the same period stops here.
            if not await leases.mark_done(self.database, "plan-from-template", run_key, {}):
                continue
            name = f"{template.settings['name']} {key}"
            try:
                plan = await self.plans.create(SYSTEM, {**template.settings, "name": name, "period_start": start,
                                                        "period_end": end}, request_id=f"job:{run_key}")
            except Exception:
                await leases.forget(self.database, "plan-from-template", run_key)
                raise
            created.append(plan.id)
        return {"created": created}

    async def notify(self, today: date) -> dict[str, Any]:
        overdue = await self.results.overdue(SYSTEM, today=today)
        unstaffed = await self.tasks.unstaffed()
        notices = [{"_id": f"overdue:{t.id}", "kind": "publication_overdue", "task": t.id,
                    "jurisdiction": t.jurisdiction, "due": t.result.publication_due.isoformat() if t.result else None}
                   for t in overdue]
        notices += [{"_id": f"unstaffed:{t.id}", "kind": "task_unstaffed", "task": t.id,
                     "jurisdiction": t.jurisdiction, "reason": t.unstaffed_reason} for t in unstaffed]
        new = await self.notices.add(notices, at=datetime.now(UTC))
        return {"overdue": len(overdue), "unstaffed": len(unstaffed), "new_notices": new}

    async def run_due(self, owner: str, today: date | None = None) -> list[JobResult]:
        day = today or datetime.now(UTC).date()
        jobs: dict[str, Job] = {"plan-from-template": self.generate_plans, "notices": self.notify, **self.extra}
        results = []
        for name, job in jobs.items():
            if not await leases.acquire(self.database, name, owner):
                results.append(JobResult(name, day.isoformat(), False, {"skipped": "lease held elsewhere"}))
                continue
            try:
                detail = await job(day)
                results.append(JobResult(name, day.isoformat(), True, detail))
                log.info("job ran", extra={"job": name, "detail": detail})
            finally:
                await leases.release(self.database, name, owner)
        return results
