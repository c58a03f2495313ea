"""Staffing targeted (non-random) tasks: inspectors drawn at random, two per task, as for plans.

The objects of a targeted task were chosen for a reason (an alert measure, a complaint), not by
lot; the inspectors still are drawn at random among the certified, on-post staff who cover the
enterprise and have no declared conflict (DOMAIN rules 1–3), with a recorded seed.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from core.accounts.models import Viewer
from core.db import Database
from core.inspections.models import TaskStatus
from core.inspections.repository import InspectionRepository
from core.reference import tables
from core.registry.repository import InspectorRepository
from scheduler import assignment

TEAM_SIZE = 2


async def staff_targeted(database: Database, viewer: Viewer, origin: str) -> dict[str, Any]:
    """Draw teams for the unstaffed tasks of ``origin`` within the viewer's jurisdictions."""
    repository = InspectionRepository(database)
    waiting = [t for t in await repository.targeted_of(origin)
               if t.status is TaskStatus.UNSTAFFED and any(viewer.covers(j) for j in [t.jurisdiction])]
    if not waiting:
        return {"staffed": 0, "unstaffed": {}, "seed": None}
    codes = {t.credit_code for t in waiting}
    scopes = sorted({a for t in waiting for a in tables.ancestors(t.jurisdiction)})
    pool = [assignment.Candidate(staff_id=i.staff_id, jurisdictions=tuple(i.jurisdictions),
                                 certificate_expires=i.certificate_expires, on_post=i.on_post,
                                 conflicts=frozenset(set(i.conflicts) & codes))
            for i in await InspectorRepository(database).covering(scopes)]
    seed = secrets.token_hex(32)
    today = datetime.now(UTC).date()
    slots = [assignment.TaskSlot(t.credit_code, tuple(tables.ancestors(t.jurisdiction))) for t in waiting]
    result = assignment.assign(slots, pool, seed_hex=seed, on=today, team_size=TEAM_SIZE,
                               initial_loads=await repository.open_loads([c.staff_id for c in pool]))

    async def store(session: Any) -> int:
        staffed = 0  # counted afresh on each attempt: a rerun starts from nothing written
        for task in waiting:
            team = result.teams.get(task.credit_code)
            if team:
                staffed += await repository.staff_task(task.id, task.version, team,
                                                       {**(task.target or {}), "seed": seed,
                                                        "algorithm": assignment.ALGORITHM}, session=session)
            else:  # keep why, as a drawn plan's unstaffed task does
                await repository.mark_unstaffed(task.id, task.version, result.unstaffed.get(task.credit_code, ""),
                                                session=session)
        return staffed

    staffed = await database.transaction(store)
    return {"staffed": staffed, "unstaffed": result.unstaffed, "seed": seed}
