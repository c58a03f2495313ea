"""The lifecycle of a power-usage alert (DOMAIN rule 19): push → handle → feedback → verify → review."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from core.accounts.models import Viewer
from core.accounts.roles import FIELD_STAFF, SUPERVISORS
from core.db import Database, lost_race
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.inspections.models import TaskKind
from core.inspections.repository import InspectionRepository
from core.inspections.targeted import targeted_task
from core.nonsite.models import NEXT_STAGE, Lead, LeadStatus, PowerAlert
from core.nonsite.repository import LeadRepository, MeterRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository

WHO = {"handle": SUPERVISORS, "feedback": FIELD_STAFF, "verify": FIELD_STAFF, "review": SUPERVISORS}
LEAD_SOURCE = "power_alert"
# A verification found a violation: (alert, verifier, request id). Injected at assembly.
OnViolation = Callable[[PowerAlert, str, str], Awaitable[None]]
RACE_ATTEMPTS = 8  # rounds of read, then write, when a concurrent call keeps winning


def origin(alert_id: str) -> str:
    return f"power:{alert_id}"


class PowerAlertService:
    def __init__(self, database: Database, *, on_violation: OnViolation | None = None) -> None:
        self.database = database
        self.on_violation = on_violation
        self.repository = MeterRepository(database)
        self.tasks = InspectionRepository(database)
        self.leads = LeadRepository(database)

    async def get(self, viewer: Viewer, alert_id: str) -> PowerAlert:
        alert = await self.repository.alert(alert_id)
        if alert is None or not viewer.has_any(FIELD_STAFF) or not viewer.covers(alert.jurisdiction):
            raise NotFound(f"power alert {alert_id} not found", field="alertId")
        return alert

    async def list_alerts(self, viewer: Viewer, *, open_only: bool, credit_code: str | None = None) -> list[PowerAlert]:
        if not viewer.has_any(FIELD_STAFF):
            raise PermissionDenied("power alerts are for enforcement staff")
        return await self.repository.alerts(list(viewer.jurisdictions), open_only=open_only,
                                            credit_code=credit_code)

    async def advance(self, viewer: Viewer, alert_id: str, *, version: int, action: str, note: str,
                      evidence: list[str], violation: bool | None) -> PowerAlert:
        alert = await self.get(viewer, alert_id)
        if action not in NEXT_STAGE:
            raise ValidationFailed([FieldError("action", "action must be handle, feedback, verify or review",
                                               ErrorCode.INVALID_VALUE)])
        if not viewer.has_any(WHO[action]):
            raise PermissionDenied(f"your role may not {action} a power alert")
        before, after = NEXT_STAGE[action]
        if alert.stage is not before:
            raise Conflict(f"power alert {alert_id} is {alert.stage.value}; {action} needs {before.value}",
                           code=ErrorCode.WRONG_STAGE, field="action")
        changes: dict[str, object] = {"stage": after.value}
        if action == "verify":
            # Closing needs the verifier and evidence (rule 19): both are recorded at verification.
            if not evidence or violation is None:
                raise ValidationFailed([FieldError("evidence", "verification needs evidence ids and the finding "
                                                   "(violation true or false)", ErrorCode.EVIDENCE_REQUIRED)])
            changes.update({"verifier": viewer.username, "evidence": evidence, "violation": violation})
        if action == "review" and (alert.verifier is None or not alert.evidence):
            raise Conflict(f"power alert {alert_id} has no verifier or evidence", code=ErrorCode.NOT_VERIFIED)
        entry = {"at": datetime.now(UTC), "actor": viewer.username, "action": action, "note": note}
        updated = await self.repository.advance(alert_id, version, changes, entry)
        if updated is None:
            raise Conflict(f"power alert {alert_id} changed meanwhile", code=ErrorCode.STALE_VERSION, field="version")
        return updated

    async def create_task(self, viewer: Viewer, alert_id: str, *, lead: tuple[str, int] | None = None) -> str:
        """A targeted verification task for the alert's enterprise (once per alert).

        The alert's open lead is converted in the same transaction; ``lead`` (id, version) names
        the lead the caller converts and must be open at that version. A positive-list enterprise
        is visited only on a recorded lead (DOMAIN rule 10): without one, a lead is recorded with
        the task; after its lead was dismissed no task is made. A concurrent call that wins the race
        leaves its task, which is returned.
        """
        alert = await self.get(viewer, alert_id)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors create verification tasks")
        for attempt in range(RACE_ATTEMPTS):
            try:
                return await self._create_task(viewer, alert, lead)
            except Exception as exc:  # another call won: the next round finds its task (or its lead's change)
                if not lost_race(exc):
                    raise
                await asyncio.sleep(0.01 * (attempt + 1))
        raise Conflict(f"power alert {alert_id} kept changing", code=ErrorCode.STALE_VERSION, field="version")

    async def _create_task(self, viewer: Viewer, alert: PowerAlert, expected: tuple[str, int] | None) -> str:
        now = datetime.now(UTC)
        current = await self.leads.of_source(LEAD_SOURCE, alert.id)
        if expected is not None and (current is None or current.id != expected[0]):
            raise NotFound(f"lead {expected[0]} not found", field="leadId")
        if expected is not None and current is not None and current.status is not LeadStatus.OPEN:
            raise Conflict(f"lead {current.id} is {current.status.value}", code=ErrorCode.WRONG_STATUS, field="leadId")
        version = expected[1] if expected is not None else (current.version if current else 0)
        existing = await self.tasks.targeted_of(origin(alert.id))
        if existing:
            if current is not None and current.status is LeadStatus.OPEN:
                await self._convert(current.id, version, _converted(existing[0].id, viewer, now), session=None)
            return existing[0].id
        positive = await on_positive_list(self.database, alert.credit_code, now.date())
        if positive and current is not None and current.status is LeadStatus.DISMISSED:
            raise Conflict(f"the lead of power alert {alert.id} was dismissed: {current.reason}",
                           code=ErrorCode.LEAD_DISMISSED)
        task = targeted_task(kind=TaskKind.ANOMALY_VERIFICATION.value, origin=origin(alert.id),
                             credit_code=alert.credit_code, name=alert.enterprise_name,
                             jurisdiction=alert.jurisdiction,
                             target={"power_alert": alert.id, "kind": alert.kind.value, "severity": alert.severity,
                                     "starts_at": alert.starts_at.isoformat(), "ends_at": alert.ends_at.isoformat()})
        converted = _converted(task.id, viewer, now)
        async def store(session: Any) -> None:
            await self.tasks.insert_targeted([task], session=session)
            await self.repository.link_task(alert.id, task.id, session=session)
            if current is not None and current.status is LeadStatus.OPEN:
                await self._convert(current.id, version, converted, session=session)
            if positive and current is None:
                made = new_lead(alert, viewer, summary="recorded with its verification task (positive list)",
                                positive_list=True, now=now).model_copy(
                    update={**converted, "status": LeadStatus.CONVERTED})
                await self.leads.insert(made, tables.ancestors(alert.jurisdiction), session=session)
                await self.repository.link_lead(alert.id, made.id, session=session)

        await self.database.transaction(store)
        return task.id

    async def _convert(self, lead_id: str, version: int, changes: dict[str, object], *, session: Any) -> None:
        if await self.leads.update(lead_id, version, changes, session=session) is None:
            raise Conflict(f"lead {lead_id} changed meanwhile", code=ErrorCode.STALE_VERSION, field="version")

    async def advance_and_report(self, viewer: Viewer, alert_id: str, *, request_id: str, version: int,
                                 action: str, note: str, evidence: list[str], violation: bool | None) -> PowerAlert:
        """``advance``, then a violation found at verification is reported to the injected hook (a case)."""
        alert = await self.advance(viewer, alert_id, version=version, action=action, note=note,
                                   evidence=evidence, violation=violation)
        if action == "verify" and alert.violation and self.on_violation is not None:
            await self.on_violation(alert, viewer.username or "", request_id)
        return alert


def _converted(task_id: str, viewer: Viewer, now: datetime) -> dict[str, object]:
    return {"status": LeadStatus.CONVERTED.value, "task_id": task_id, "closed_by": viewer.username, "closed_at": now}


async def on_positive_list(database: Database, credit_code: str, day: date) -> bool:
    enterprise = (await EnterpriseRepository(database).by_codes([credit_code])).get(credit_code)
    return bool(enterprise and enterprise.positive_list and enterprise.positive_list.covers(day))


def new_lead(alert: PowerAlert, viewer: Viewer, *, summary: str, positive_list: bool, now: datetime) -> Lead:
    text = summary.strip() or (f"{alert.kind.value}, {alert.minutes} min from {alert.starts_at.isoformat()} "
                               f"(severity {alert.severity})")
    return Lead(id=str(uuid.uuid4()), credit_code=alert.credit_code, enterprise_name=alert.enterprise_name,
                jurisdiction=alert.jurisdiction, source=LEAD_SOURCE, source_id=alert.id, summary=text[:1000],
                positive_list=positive_list, created_by=viewer.username or "", created_at=now)
