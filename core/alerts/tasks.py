"""On-site verification tasks from heavy-pollution alert measures: the enterprises routed on site get a task.

An enterprise whose measure is ``halt`` or ``reduce`` and whose verification route
(``core.alerts.verification``) is on site — flagged by its own non-site check, or drawn into its
jurisdiction's sample — gets one targeted (non-random) task per alert, unstaffed until a supervisor
assigns two certified inspectors. The stored measures are also
what the electricity checks read as the measure in force (halted units must draw no power).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from core.alerts.verification import CHECKABLE
from core.inspections.models import Task, TaskKind, TaskStatus
from core.inspections.repository import InspectionRepository


def on_site(measure: dict[str, Any]) -> bool:
    """The measure is verified on site: flagged by its own non-site check, or drawn into the sample."""
    route = (measure.get("verification") or {}).get("route")
    return route == "flagged" or (measure["measure"] in CHECKABLE and route == "sampled")
AWAITING = "awaiting assignment by a supervisor"


def origin(alert_id: str) -> str:
    return f"alert:{alert_id}"


def _target(alert_id: str, level: str, measure: dict[str, Any]) -> dict[str, Any]:
    return {"alert_id": alert_id, "alert_level": level, "measure": measure["measure"],
            "reduction_pct": measure["reduction_pct"], "rules": measure["rules"],
            "policy_version": measure["policy_version"], "check": "on_site_and_electricity",
            "route": (measure.get("verification") or {}).get("route"),
            "pi": (measure.get("verification") or {}).get("pi")}


def new_task(alert_id: str, level: str, measure: dict[str, Any], now: datetime) -> Task:
    return Task(id=str(uuid.uuid4()), plan_id=None, draw_id=origin(alert_id), credit_code=measure["credit_code"],
                enterprise_name=measure["name"], jurisdiction=measure["jurisdiction"], stratum="", inspectors=[],
                lead=None, status=TaskStatus.UNSTAFFED, kind=TaskKind.ALERT_VERIFICATION.value,
                unstaffed_reason=AWAITING, target=_target(alert_id, level, measure), created_at=now)


async def sync_tasks(repository: InspectionRepository, alert_id: str, level: str, measures: list[dict[str, Any]],
                     *, session: Any) -> dict[str, int]:
    """Bring the alert's verification tasks in line with its measures (on issue and on every change)."""
    now = datetime.now(UTC)
    wanted = {m["credit_code"]: m for m in measures if on_site(m)}
    existing = {t.credit_code: t for t in await repository.targeted_of(origin(alert_id), session=session)}
    created = [new_task(alert_id, level, m, now) for code, m in wanted.items() if code not in existing]
    await repository.insert_targeted(created, session=session)
    for code, task in existing.items():
        if code not in wanted:
            continue
        target = _target(alert_id, level, wanted[code])
        if task.status is TaskStatus.CANCELLED:  # the measure came back: the task is needed again
            await repository.reopen(task.id, target, AWAITING, session=session)
        elif {**(task.target or {}), **target} != task.target:  # staffing adds its seed: keep it
            await repository.set_target(task.id, {**(task.target or {}), **target}, session=session)
    dropped = [code for code in existing if code not in wanted]
    cancelled = await repository.cancel_unstarted(origin(alert_id), dropped, "the measure no longer needs "
                                                  "verification", session=session) if dropped else 0
    return {"created": len(created), "cancelled": cancelled}


async def ensure_task(repository: InspectionRepository, alert_id: str, level: str, measure: dict[str, Any],
                      *, session: Any) -> bool:
    """One enterprise's task, created (or reopened if cancelled) when it is routed on site later; True if new."""
    existing = [t for t in await repository.targeted_of(origin(alert_id), session=session)
                if t.credit_code == measure["credit_code"]]
    if not existing:
        await repository.insert_targeted([new_task(alert_id, level, measure, datetime.now(UTC))], session=session)
        return True
    if existing[0].status is TaskStatus.CANCELLED:
        await repository.reopen(existing[0].id, _target(alert_id, level, measure), AWAITING, session=session)
        return True
    await repository.set_target(existing[0].id, _target(alert_id, level, measure), session=session)
    return False


async def cancel_all(repository: InspectionRepository, alert_id: str, *, session: Any) -> int:
    return await repository.cancel_unstarted(origin(alert_id), None, "the alert was lifted", session=session)
