"""The lifecycle of a power-usage alert (DOMAIN rule 19): push → handle → feedback → verify → review."""

from __future__ import annotations

from datetime import UTC, datetime

from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.inspections.models import TaskKind
from core.inspections.repository import InspectionRepository
from core.inspections.targeted import targeted_task
from core.nonsite.models import NEXT_STAGE, PowerAlert
from core.nonsite.repository import MeterRepository

SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
STAFF = frozenset(Role) - {Role.RULE_AUTHOR}
WHO = {"handle": SUPERVISORS, "feedback": STAFF, "verify": STAFF, "review": SUPERVISORS}


def origin(alert_id: str) -> str:
    return f"power:{alert_id}"


class PowerAlertService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = MeterRepository(database)
        self.tasks = InspectionRepository(database)

    async def get(self, viewer: Viewer, alert_id: str) -> PowerAlert:
        alert = await self.repository.alert(alert_id)
        if alert is None or not viewer.has_any(STAFF) or not viewer.covers(alert.jurisdiction):
            raise NotFound(f"power alert {alert_id} not found", field="alertId")
        return alert

    async def list(self, viewer: Viewer, *, open_only: bool, credit_code: str | None = None) -> list[PowerAlert]:
        if not viewer.has_any(STAFF):
            raise PermissionDenied("power alerts are for enforcement staff")
        return await self.repository.alerts(list(viewer.jurisdictions), open_only=open_only,
                                            credit_code=credit_code)

    async def advance(self, viewer: Viewer, alert_id: str, *, version: int, action: str, note: str,
                      evidence: list[str], violation: bool | None) -> PowerAlert:
        alert = await self.get(viewer, alert_id)
        if action not in NEXT_STAGE:
            raise ValidationFailed([FieldError("action", "action must be handle, feedback, verify or review",
                                               "INVALID_VALUE")])
        if not viewer.has_any(WHO[action]):
            raise PermissionDenied(f"your role may not {action} a power alert")
        before, after = NEXT_STAGE[action]
        if alert.stage is not before:
            raise Conflict(f"power alert {alert_id} is {alert.stage.value}; {action} needs {before.value}",
                           code="WRONG_STAGE", field="action")
        changes: dict[str, object] = {"stage": after.value}
        if action == "verify":
            # Closing needs the verifier and evidence (rule 19): both are recorded at verification.
            if not evidence or violation is None:
                raise ValidationFailed([FieldError("evidence", "verification needs evidence ids and the finding "
                                                   "(violation true or false)", "EVIDENCE_REQUIRED")])
            changes.update({"verifier": viewer.username, "evidence": evidence, "violation": violation})
        if action == "review" and (alert.verifier is None or not alert.evidence):
            raise Conflict(f"power alert {alert_id} has no verifier or evidence", code="NOT_VERIFIED")
        entry = {"at": datetime.now(UTC), "actor": viewer.username, "action": action, "note": note}
        updated = await self.repository.advance(alert_id, version, changes, entry)
        if updated is None:
            raise Conflict(f"power alert {alert_id} changed meanwhile", code="STALE_VERSION", field="version")
        return updated

    async def create_task(self, viewer: Viewer, alert_id: str) -> str:
        """A targeted verification task for the alert's enterprise (once per alert)."""
        alert = await self.get(viewer, alert_id)
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors create verification tasks")
        existing = await self.tasks.targeted_of(origin(alert_id))
        if existing:
            return existing[0].id
        task = targeted_task(kind=TaskKind.ANOMALY_VERIFICATION.value, origin=origin(alert_id),
                             credit_code=alert.credit_code, name=alert.enterprise_name,
                             jurisdiction=alert.jurisdiction,
                             target={"power_alert": alert_id, "kind": alert.kind.value, "severity": alert.severity,
                                     "starts_at": alert.starts_at.isoformat(), "ends_at": alert.ends_at.isoformat()})
        async with self.database.start_session() as session, await session.start_transaction():
            await self.tasks.insert_targeted([task], session=session)
            await self.repository.link_task(alert_id, task.id, session=session)
        return task.id
