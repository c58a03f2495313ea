"""Targeted (non-random) tasks: made for a reason — an alert measure, an anomaly, a complaint, a hotspot cell.

They are kept apart from double-random tasks: no plan, their own kind, and ``draw_id`` naming their
origin, which with the enterprise is unique (one task per enterprise per origin).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from core.accounts.models import Viewer
from core.db import Database
from core.inspections.models import Task, TaskStatus
from core.inspections.ports import DrawEngine
from core.inspections.repository import InspectionRepository
from core.reference import tables
from core.registry.repository import InspectorRepository

AWAITING = "awaiting assignment by a supervisor"
TEAM_SIZE = 2


def targeted_task(*, kind: str, origin: str, credit_code: str, name: str, jurisdiction: str,
                  target: dict[str, Any]) -> Task:
    return Task(id=str(uuid.uuid4()), plan_id=None, draw_id=origin, credit_code=credit_code, enterprise_name=name,
                jurisdiction=jurisdiction, stratum="", inspectors=[], lead=None, status=TaskStatus.UNSTAFFED,
                kind=kind, unstaffed_reason=AWAITING, target=target, created_at=datetime.now(UTC))


class TargetedService:
    """Staffing targeted tasks: inspectors drawn at random, two per task, as for plans.

    The objects were chosen for a reason (an alert measure, a complaint), not by lot; the inspectors
    still are drawn at random among the certified, on-post staff who cover the enterprise and have no
    declared conflict (DOMAIN rules 1–3), with a recorded seed.
    """

    def __init__(self, database: Database, engine: DrawEngine) -> None:
        self.database = database
        self.repository = InspectionRepository(database)
        self.inspectors = InspectorRepository(database)
        self.engine = engine

    async def staff(self, viewer: Viewer, origin: str) -> dict[str, Any]:
        """Draw teams for the unstaffed tasks of ``origin`` within the viewer's jurisdictions."""
        waiting = [t for t in await self.repository.targeted_of(origin)
                   if t.status is TaskStatus.UNSTAFFED and viewer.covers(t.jurisdiction)]
        if not waiting:
            return {"staffed": 0, "unstaffed": {}, "seed": None}
        codes = {t.credit_code for t in waiting}
        scopes = sorted({a for t in waiting for a in tables.ancestors(t.jurisdiction)})
        pool = self.engine.candidates([
            {"staff_id": i.staff_id, "jurisdictions": i.jurisdictions, "on_post": i.on_post,
             "certificate_expires": i.certificate_expires.isoformat(), "conflicts": sorted(set(i.conflicts) & codes)}
            for i in await self.inspectors.covering(scopes)])
        seed = secrets.token_hex(32)
        slots = [(t.credit_code, tuple(tables.ancestors(t.jurisdiction))) for t in waiting]
        result = self.engine.assign(slots, pool, seed=seed, on=datetime.now(UTC).date(), team_size=TEAM_SIZE,
                                    loads=await self.repository.open_loads([c.staff_id for c in pool]))
        target = {"seed": seed, "algorithm": self.engine.inspector_algorithm}

        async def store(session: Any) -> int:
            staffed = 0  # counted afresh on each attempt: a rerun starts from nothing written
            for task in waiting:
                team = result.teams.get(task.credit_code)
                if team:
                    staffed += await self.repository.staff_task(task.id, task.version, team,
                                                                {**(task.target or {}), **target}, session=session)
                else:  # keep why, as a drawn plan's unstaffed task does
                    await self.repository.mark_unstaffed(task.id, task.version,
                                                         result.unstaffed.get(task.credit_code, ""), session=session)
            return staffed

        staffed = await self.database.transaction(store)
        return {"staffed": staffed, "unstaffed": result.unstaffed, "seed": seed}
