"""Issuing, changing and lifting heavy-pollution alerts, with each enterprise's measures and verification tasks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.alerts import tasks
from core.alerts.models import Alert, AlertData, AlertMeasures
from core.alerts.repository import AlertRepository
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.inspections.models import Task
from core.inspections.repository import InspectionRepository
from core.inspections.service import require_supervisor
from core.pagination import check_first
from core.reference import tables
from core.registry.rows import field_errors

# Each covered enterprise's measures under an alert, from the measures policy in force on its first day
# (raises Conflict NO_POLICY when none is). The policy engine is in rules/, so api/assembly.py injects it
# (rules/alert_measures.py).
ComputeMeasures = Callable[[AlertData], Awaitable[AlertMeasures]]
# Draws two certified inspectors at random for each unstaffed targeted task of an origin (TargetedService.staff).
StaffTargeted = Callable[[Viewer, str], Awaitable[dict[str, Any]]]


class AlertService:
    """Alerts within the viewer's jurisdictions; issuing and changing them is for supervisors."""

    def __init__(self, database: Database, *, compute_measures: ComputeMeasures,
                 max_backdate: timedelta = timedelta(hours=24),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 staff_targeted: StaffTargeted | None = None) -> None:
        self.database = database
        self.clock = clock  # tests replay an alert issued days ago with a clock set then
        self.staff_targeted = staff_targeted
        self.compute_measures = compute_measures
        self.max_backdate = max_backdate
        self.repository = AlertRepository(database)
        self.inspections = InspectionRepository(database)

    async def issue(self, viewer: Viewer, data: dict[str, Any]) -> Alert:
        alert_data = _parse(data)
        _require(viewer, alert_data.jurisdictions)
        _not_in_past(alert_data, self.clock(), self.max_backdate, check_start=True)
        computed = await self.compute_measures(alert_data)
        measures = computed.measures
        now = self.clock()
        alert = Alert(**alert_data.model_dump(), id=str(uuid.uuid4()), status="active", issued_by=viewer.username or "",
                      issued_at=now, policy_version=computed.policy_version, affected=len(measures),
                      history=[{"at": now, "actor": viewer.username, "action": "issue",
                                "level": alert_data.level}])
        async def issue(session: Any) -> None:
            await self.repository.insert(alert, measures, session=session)
            await tasks.sync_tasks(self.inspections, alert.id, alert.level, measures, session=session)

        await self.database.transaction(issue)
        return alert

    async def update(self, viewer: Viewer, alert_id: str, *, version: int, changes: dict[str, Any]) -> Alert:
        """Extend (a later end), upgrade or downgrade (a new level): measures are recomputed."""
        alert = await self.get(viewer, alert_id)
        if alert.status != "active":
            raise Conflict(f"alert {alert_id} is {alert.status}", code=ErrorCode.ALERT_NOT_ACTIVE)
        merged = _parse({**alert.model_dump(include=set(AlertData.model_fields)), **changes})
        _require(viewer, merged.jurisdictions)
        # An active alert keeps its start; only a new start is checked against the backdating limit.
        _not_in_past(merged, self.clock(), self.max_backdate, check_start="starts_at" in changes)
        computed = await self.compute_measures(merged)
        measures = computed.measures
        before = alert.model_dump(include=set(AlertData.model_fields))
        entry = {"at": self.clock(), "actor": viewer.username, "action": "update",
                 "changes": [{"field": k, "from": _text(before.get(k)), "to": _text(v)}
                             for k, v in merged.model_dump(include=set(changes)).items() if before.get(k) != v]}
        async def apply(session: Any) -> Alert:
            changed = {**merged.model_dump(), "policy_version": computed.policy_version, "affected": len(measures)}
            updated = await self.repository.update(alert_id, version, changed, entry, session=session)
            if updated is None:
                raise Conflict(f"alert {alert_id} changed meanwhile", code=ErrorCode.STALE_VERSION, field="version")
            await self.repository.replace_measures(alert_id, measures, session=session)
            await tasks.sync_tasks(self.inspections, alert_id, merged.level, measures, session=session)
            return updated

        return await self.database.transaction(apply)

    async def lift(self, viewer: Viewer, alert_id: str, *, version: int, reason: str) -> Alert:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "lifting an alert needs a reason", ErrorCode.REASON_REQUIRED)])
        alert = await self.get(viewer, alert_id)
        if alert.status != "active":
            raise Conflict(f"alert {alert_id} is {alert.status}", code=ErrorCode.ALERT_NOT_ACTIVE)
        now = self.clock()
        entry = {"at": now, "actor": viewer.username, "action": "lift", "reason": reason}
        async def apply(session: Any) -> Alert:
            lifted = await self.repository.update(alert_id, version, {"status": "lifted", "ends_at": now}, entry,
                                                  session=session)
            if lifted is None:
                raise Conflict(f"alert {alert_id} changed meanwhile", code=ErrorCode.STALE_VERSION, field="version")
            await tasks.cancel_all(self.inspections, alert_id, session=session)
            return lifted

        return await self.database.transaction(apply)

    async def staff_tasks(self, viewer: Viewer, alert_id: str) -> dict[str, Any]:
        """Teams for the alert's unstaffed verification tasks, if the viewer supervises all its jurisdictions."""
        alert = await self.get(viewer, alert_id)
        for jurisdiction in alert.jurisdictions:
            require_supervisor(viewer, jurisdiction)
        if self.staff_targeted is None:
            raise Conflict("staffing is not available here", code=ErrorCode.UNSTAFFABLE)
        return await self.staff_targeted(viewer, tasks.origin(alert.id))

    async def get(self, viewer: Viewer, alert_id: str) -> Alert:
        alert = await self.repository.get(alert_id)
        if alert is None or not all(viewer.covers(j) for j in alert.jurisdictions):
            raise NotFound(f"alert {alert_id} not found", field="alertId")
        return alert

    async def verification_tasks(self, viewer: Viewer, alert_id: str) -> list[Task]:
        """The verification tasks the alert created (one per halted or cut enterprise), by credit code."""
        await self.get(viewer, alert_id)
        found = await self.inspections.targeted_of(tasks.origin(alert_id))
        return sorted(found, key=lambda t: t.credit_code)

    async def list_alerts(self, viewer: Viewer) -> list[Alert]:
        scopes = [code for code in tables.divisions() if viewer.covers(code)]
        return await self.repository.list_alerts(scopes)

    async def measures(self, viewer: Viewer, alert_id: str, *, first: int, after: str | None) -> list[dict[str, Any]]:
        check_first(first)
        await self.get(viewer, alert_id)
        return await self.repository.measures(alert_id, first=first, after=after)

    async def active_measures_of(self, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The heavy-pollution measures in force now for each enterprise (a batch read for loaders)."""
        return await self.repository.active_measures(codes, datetime.now(UTC))


def _parse(data: dict[str, Any]) -> AlertData:
    try:
        alert = AlertData.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None
    unknown = [j for j in alert.jurisdictions if j not in tables.divisions()]
    if unknown:
        raise ValidationFailed([FieldError("jurisdictions", f"unknown jurisdiction code {code}",
                                           ErrorCode.UNKNOWN_JURISDICTION) for code in unknown])
    return alert


def _require(viewer: Viewer, jurisdictions: list[str]) -> None:
    if not viewer.has_any(SUPERVISORS):
        raise PermissionDenied("only supervisors issue heavy-pollution alerts")
    outside = [j for j in jurisdictions if not viewer.covers(j)]
    if outside:
        raise PermissionDenied(f"jurisdiction {', '.join(outside)} is outside your scope")


def _not_in_past(alert: AlertData, now: datetime, max_backdate: timedelta, *, check_start: bool) -> None:
    """An alert that has already ended, or (when its start is new) started longer ago than the configured
    backdating limit, is refused: it would stay "active" and create tasks for days that are over."""
    if alert.ends_at <= now:
        raise ValidationFailed([FieldError("endsAt", f"the alert ended at {alert.ends_at.isoformat()}, before now",
                                           ErrorCode.ALERT_IN_PAST)])
    if check_start and alert.starts_at < now - max_backdate:
        raise ValidationFailed([FieldError("startsAt", f"an alert may start at most {max_backdate} before it is "
                                           "issued", ErrorCode.ALERT_IN_PAST)])


def _text(value: Any) -> str:
    """A changed value as history keeps it: ISO for times, lists joined, everything else as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
