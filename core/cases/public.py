"""Read-only access to cases for publication: the public feeds (no viewer) and the overdue report (supervisors)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.cases.publication import OverduePublication, PublicDecision, overdue_publications, public_decisions
from core.cases.repository import CaseRepository
from core.cases.settings import CaseRules
from core.db import Database
from core.errors import NotFound, PermissionDenied
from core.reference import tables

# The public feeds read at most this many cases with a published decision (the most recently filed).
FEED_MAX_CASES = 5000


class PublicCaseReader:
    def __init__(self, database: Database, rules: CaseRules) -> None:
        self.rules = rules
        self.cases = CaseRepository(database)

    async def decisions(self, *, jurisdiction: str | None = None, limit: int | None = None) -> list[PublicDecision]:
        """Published penalty decisions, masked, latest publication first; anyone may read them. ``jurisdiction``
        narrows to a division and those below it; an unknown division is NOT_FOUND."""
        if jurisdiction is not None and jurisdiction not in tables.divisions():
            raise NotFound(f"jurisdiction {jurisdiction} not found", field="jurisdiction")
        found = public_decisions(await self.cases.published_within(jurisdiction, limit=FEED_MAX_CASES))
        return found if limit is None else found[:limit]

    async def overdue(self, viewer: Viewer, *, today: date | None = None) -> list[OverduePublication]:
        """Decisions in the viewer's jurisdictions not published within the configured working days."""
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("publication reports are for supervisors")
        cases = await self.cases.unpublished(list(viewer.jurisdictions))
        return overdue_publications(cases, today or datetime.now(UTC).date(), self.rules)
