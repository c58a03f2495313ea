"""Issuing, changing and lifting heavy-pollution alerts, with each enterprise's measures and verification tasks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.alerts import tasks, verification
from core.alerts.models import Alert, AlertData, AlertMeasures
from core.alerts.repository import AlertRepository
from core.alerts.verification import Candidate, Routing
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
# Enterprises among the codes with a power alert not yet reviewed overlapping [start, end): their own non-site
# check raised an alert (core/nonsite, injected by api/assembly.py: core/nonsite already reads alerts).
OpenAlerts = Callable[[list[str], datetime, datetime], Awaitable[set[str]]]
# The double-random draw's πps design (scheduler/pips.py): the sample and each pool member's probability.
DesignPi = Callable[[Mapping[str, int], int], Mapping[str, Fraction]]


# What an alert's measures are computed from: a change of any of these recomputes them.
MEASURE_INPUTS = ("level", "jurisdictions", "starts_at")


class AlertService:
    """Alerts within the viewer's jurisdictions; issuing and changing them is for supervisors."""

    def __init__(self, database: Database, *, compute_measures: ComputeMeasures,
                 max_backdate: timedelta = timedelta(hours=24),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 staff_targeted: StaffTargeted | None = None,
                 select: verification.Select | None = None, design_pi: DesignPi | None = None,
                 open_alerts: OpenAlerts | None = None) -> None:
        self.database = database
        self.select, self.design_pi = select, design_pi
        self.clock = clock  # tests replay an alert issued days ago with a clock set then
        self.staff_targeted = staff_targeted
        self.compute_measures = compute_measures
        self.max_backdate = max_backdate
        self.repository = AlertRepository(database)
        self.inspections = InspectionRepository(database)
        self.open_alerts = open_alerts

    async def issue(self, viewer: Viewer, data: dict[str, Any]) -> Alert:
        alert_data = _parse(data)
        _require(viewer, alert_data.jurisdictions)
        _not_in_past(alert_data, self.clock(), self.max_backdate, check_start=True)
        computed = await self.compute_measures(alert_data)
        measures = computed.measures
        now = self.clock()
        alert_id = str(uuid.uuid4())
        routing = await self._route(alert_id, alert_data, measures)
        alert = Alert(**alert_data.model_dump(), id=alert_id, status="active", issued_by=viewer.username or "",
                      issued_at=now, policy_version=computed.policy_version, affected=len(measures),
                      verification=routing.preview(), verification_seed=routing.seed,
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
        before = alert.model_dump(include=set(AlertData.model_fields))
        entry = {"at": self.clock(), "actor": viewer.username, "action": "update",
                 "changes": [{"field": k, "from": _text(before.get(k)), "to": _text(v)}
                             for k, v in merged.model_dump(include=set(changes)).items() if before.get(k) != v]}
        if all(before[k] == getattr(merged, k) for k in MEASURE_INPUTS):
            # Extended or re-sourced only: the measures depend on the level, the area and the first day, so
            # they and their verification stand (anomalies in the longer window are escalated by the scan).
            async def extend(session: Any) -> Alert:
                updated = await self.repository.update(alert_id, version, merged.model_dump(), entry, session=session)
                if updated is None:
                    raise Conflict(f"alert {alert_id} changed meanwhile", code=ErrorCode.STALE_VERSION,
                                   field="version")
                return updated

            return await self.database.transaction(extend)
        computed = await self.compute_measures(merged)
        measures = computed.measures
        routing = await self._route(alert_id, merged, measures)

        async def apply(session: Any) -> Alert:
            changed = {**merged.model_dump(), "policy_version": computed.policy_version, "affected": len(measures),
                       "verification": routing.preview(), "verification_seed": routing.seed}
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

    async def preview(self, viewer: Viewer, data: dict[str, Any]) -> list[dict[str, Any]]:
        """What issuing ``data`` would do, per jurisdiction, before anything is stored: how many enterprises are
        verified from their data, exempt, flagged, in each on-site pool, and each pool's sample size."""
        alert_data = _parse(data)
        _require(viewer, alert_data.jurisdictions)
        computed = await self.compute_measures(alert_data)
        routing = await self._route(None, alert_data, computed.measures)
        return routing.preview()

    async def _route(self, alert_id: str | None, data: AlertData, measures: list[dict[str, Any]]) -> Routing:
        """Route each measure's verification (``core.alerts.verification``) and note it on the measure.

        Without an alert id (a preview) nothing is drawn: the quotas are known, the sample is not."""
        routed = [m for m in measures if "verification" in m]
        flagged = set() if self.open_alerts is None else await self.open_alerts(
            [m["credit_code"] for m in routed], data.starts_at, data.ends_at)
        candidates = [Candidate(
            credit_code=m["credit_code"], jurisdiction=m["jurisdiction"], measure=m["measure"],
            ratio=Fraction(m["verification"]["ratio"]), weight_units=verification.weight_units(
                m["verification"]["weight"]), monitored=m["verification"]["monitored"],
            member=m["verification"]["member"], flagged=m["credit_code"] in flagged) for m in routed]
        seed = None if alert_id is None else verification.seed_of(alert_id, candidates)
        routing = verification.route(candidates, seed=seed, select=self.select, design_pi=self.design_pi)
        for m in routed:  # a preview draws nothing: pool members are noted as "pool"
            code = m["credit_code"]
            m["verification"] = {**m["verification"], "route": routing.routes[code].value
                                 if code in routing.routes else "pool"}
            if code in routing.pi:
                m["verification"]["pi"] = f"{routing.pi[code].numerator}/{routing.pi[code].denominator}"
        routing.seed = seed.hex() if seed is not None else None
        return routing

    async def escalate(self, credit_codes: list[str]) -> int:
        """Power alerts were just raised for ``credit_codes``: under each alert in force, such an enterprise not yet
        checked on site (exempt, verified from data, not sampled, or with nothing to verify) is now flagged and
        gets an on-site task. Returns how many tasks were created or reopened."""
        active = await self.repository.active_ids(self.clock())
        if not active or not credit_codes:
            return 0
        due = [m for m in await self.repository.measures_of(list(active), credit_codes)
               if m["measure"] != "none" and (m.get("verification") or {}).get("route") not in ("flagged", "sampled")]

        async def apply(session: Any) -> int:
            created = 0
            for m in due:
                flagged = {**m, "verification": {**(m.get("verification") or {}), "route": "flagged"}}
                await self.repository.set_route(m["alert_id"], m["credit_code"], "flagged", session=session)
                created += await tasks.ensure_task(self.inspections, m["alert_id"], active[m["alert_id"]], flagged,
                                                   session=session)
            return created

        return await self.database.transaction(apply) if due else 0

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
