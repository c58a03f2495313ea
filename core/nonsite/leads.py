"""Leads (线索) on enterprises from non-site checks: recorded from a power alert, converted to a task or dismissed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import FIELD_STAFF, SUPERVISORS
from core.db import Database, lost_race
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.nonsite.models import Lead, LeadStatus, PowerAlert
from core.nonsite.power_alerts import (
    LEAD_SOURCE,
    RACE_ATTEMPTS,
    PowerAlertService,
    new_lead,
    on_positive_list,
)
from core.nonsite.repository import LeadRepository, MeterRepository
from core.reference import tables

MAX_LISTED = 200


class LeadService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = LeadRepository(database)
        self.alerts = PowerAlertService(database)

    async def get(self, viewer: Viewer, lead_id: str) -> Lead:
        lead = await self.repository.get(lead_id)
        if lead is None or not viewer.has_any(FIELD_STAFF) or not viewer.covers(lead.jurisdiction):
            raise NotFound(f"lead {lead_id} not found", field="leadId")
        return lead

    async def list_leads(self, viewer: Viewer, *, status: str | None = None,
                         credit_code: str | None = None) -> list[Lead]:
        if not viewer.has_any(FIELD_STAFF):
            raise PermissionDenied("leads are for enforcement staff")
        if status is not None and status not in set(LeadStatus):
            raise ValidationFailed([FieldError("status", "status must be open, converted or dismissed",
                                               ErrorCode.INVALID_VALUE)])
        return await self.repository.list_leads(list(viewer.jurisdictions), status=status, credit_code=credit_code,
                                          limit=MAX_LISTED)

    async def record_for_alert(self, viewer: Viewer, alert_id: str, *, summary: str = "") -> tuple[Lead, bool]:
        """The alert's lead on its enterprise, recorded once: (lead, created); a repeat returns the first.

        An alert that already has its task gets its lead as converted to that task.
        """
        alert = await self.alerts.get(viewer, alert_id)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors record leads")
        for attempt in range(RACE_ATTEMPTS):
            existing = await self.repository.of_source(LEAD_SOURCE, alert_id)
            if existing is not None:
                return existing, False
            try:
                return await self._record(viewer, alert, summary), True
            except Exception as exc:  # recorded meanwhile by someone else: read theirs on the next round
                if not lost_race(exc):
                    raise
                await asyncio.sleep(0.01 * (attempt + 1))
        raise Conflict(f"the lead of power alert {alert_id} kept changing", code=ErrorCode.STALE_VERSION)

    async def _record(self, viewer: Viewer, alert: PowerAlert, summary: str) -> Lead:
        now = datetime.now(UTC)
        positive = await on_positive_list(self.database, alert.credit_code, now.date())
        lead = new_lead(alert, viewer, summary=summary, positive_list=positive, now=now)
        if alert.task_id:
            lead = lead.model_copy(update={"status": LeadStatus.CONVERTED, "task_id": alert.task_id,
                                           "closed_by": viewer.username, "closed_at": now})
        async def store(session: Any) -> None:
            await self.repository.insert(lead, tables.ancestors(alert.jurisdiction), session=session)
            await MeterRepository(self.database).link_lead(alert.id, lead.id, session=session)

        await self.database.transaction(store)
        return lead

    async def convert(self, viewer: Viewer, lead_id: str, *, version: int) -> Lead:
        """An on-site verification task for the lead's enterprise (the alert's task, made or reused)."""
        lead = await self._open(viewer, lead_id, version)
        await self.alerts.create_task(viewer, lead.source_id, lead=(lead_id, version))
        converted = await self.repository.get(lead_id)
        assert converted is not None
        return converted

    async def dismiss(self, viewer: Viewer, lead_id: str, *, version: int, reason: str) -> Lead:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "say why the lead needs no visit", ErrorCode.REASON_REQUIRED)])
        await self._open(viewer, lead_id, version)
        changes = {"status": LeadStatus.DISMISSED.value, "reason": reason.strip()[:1000],
                   "closed_by": viewer.username, "closed_at": datetime.now(UTC)}
        dismissed = await self.repository.update(lead_id, version, changes)
        if dismissed is None:
            raise Conflict(f"lead {lead_id} changed meanwhile", code=ErrorCode.STALE_VERSION, field="version")
        return dismissed

    async def _open(self, viewer: Viewer, lead_id: str, version: int) -> Lead:
        lead = await self.get(viewer, lead_id)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors convert and dismiss leads")
        if lead.status is not LeadStatus.OPEN:
            raise Conflict(f"lead {lead_id} is {lead.status.value}", code=ErrorCode.WRONG_STATUS, field="leadId")
        if lead.version != version:
            raise Conflict(f"lead {lead_id} changed meanwhile", code=ErrorCode.STALE_VERSION, field="version")
        return lead
