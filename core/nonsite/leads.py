"""Leads (线索) on enterprises from non-site checks: recorded from a power alert, converted to a task or dismissed."""

from __future__ import annotations

from datetime import UTC, datetime

from core.accounts.models import Viewer
from core.db import Database
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.nonsite.models import Lead, LeadStatus
from core.nonsite.power_alerts import LEAD_SOURCE, STAFF, SUPERVISORS, PowerAlertService, new_lead
from core.nonsite.repository import LeadRepository, MeterRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository

MAX_LISTED = 200


class LeadService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = LeadRepository(database)
        self.alerts = PowerAlertService(database)

    async def get(self, viewer: Viewer, lead_id: str) -> Lead:
        lead = await self.repository.get(lead_id)
        if lead is None or not viewer.has_any(STAFF) or not viewer.covers(lead.jurisdiction):
            raise NotFound(f"lead {lead_id} not found", field="leadId")
        return lead

    async def list(self, viewer: Viewer, *, status: str | None = None, credit_code: str | None = None) -> list[Lead]:
        if not viewer.has_any(STAFF):
            raise PermissionDenied("leads are for enforcement staff")
        if status is not None and status not in set(LeadStatus):
            raise ValidationFailed([FieldError("status", "status must be open, converted or dismissed",
                                               "INVALID_VALUE")])
        return await self.repository.list(list(viewer.jurisdictions), status=status, credit_code=credit_code,
                                          limit=MAX_LISTED)

    async def record_for_alert(self, viewer: Viewer, alert_id: str, *, summary: str = "") -> tuple[Lead, bool]:
        """The alert's lead on its enterprise, recorded once: (lead, created); a repeat returns the first."""
        alert = await self.alerts.get(viewer, alert_id)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors record leads")
        existing = await self.repository.of_source(LEAD_SOURCE, alert_id)
        if existing is not None:
            return existing, False
        enterprise = (await EnterpriseRepository(self.database).by_codes([alert.credit_code])).get(alert.credit_code)
        now = datetime.now(UTC)
        positive = bool(enterprise and enterprise.positive_list and enterprise.positive_list.covers(now.date()))
        lead = new_lead(alert, viewer, summary=summary, positive_list=positive, now=now)
        async with self.database.start_session() as session, await session.start_transaction():
            created = await self.repository.insert(lead, tables.ancestors(alert.jurisdiction), session=session)
            if created:
                await MeterRepository(self.database).link_lead(alert_id, lead.id, session=session)
        if not created:  # recorded meanwhile by someone else
            found = await self.repository.of_source(LEAD_SOURCE, alert_id)
            assert found is not None
            return found, False
        return lead, True

    async def convert(self, viewer: Viewer, lead_id: str, *, version: int) -> Lead:
        """An on-site verification task for the lead's enterprise (the alert's task, made or reused)."""
        lead = await self._open(viewer, lead_id, version)
        task_id = await self.alerts.create_task(viewer, lead.source_id)  # converts the lead in its transaction
        converted = await self.repository.get(lead_id)
        assert converted is not None
        if converted.status is LeadStatus.OPEN:  # the alert had its task before the lead was recorded
            converted = await self.repository.update(lead_id, converted.version, {
                "status": LeadStatus.CONVERTED.value, "task_id": task_id, "closed_by": viewer.username,
                "closed_at": datetime.now(UTC)})
            if converted is None:
                raise Conflict(f"lead {lead_id} changed meanwhile", code="STALE_VERSION", field="version")
        return converted

    async def dismiss(self, viewer: Viewer, lead_id: str, *, version: int, reason: str) -> Lead:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "say why the lead needs no visit", "REASON_REQUIRED")])
        await self._open(viewer, lead_id, version)
        changes = {"status": LeadStatus.DISMISSED.value, "reason": reason.strip()[:1000],
                   "closed_by": viewer.username, "closed_at": datetime.now(UTC)}
        dismissed = await self.repository.update(lead_id, version, changes)
        if dismissed is None:
            raise Conflict(f"lead {lead_id} changed meanwhile", code="STALE_VERSION", field="version")
        return dismissed

    async def _open(self, viewer: Viewer, lead_id: str, version: int) -> Lead:
        lead = await self.get(viewer, lead_id)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors convert and dismiss leads")
        if lead.status is not LeadStatus.OPEN:
            raise Conflict(f"lead {lead_id} is {lead.status.value}", code="WRONG_STATUS", field="leadId")
        if lead.version != version:
            raise Conflict(f"lead {lead_id} changed meanwhile", code="STALE_VERSION", field="version")
        return lead
