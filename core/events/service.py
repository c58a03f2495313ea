"""Recording enterprise events: supervisors within their jurisdiction, idempotent by the caller's id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError, OperationFailure

from core.accounts.models import Role, Viewer
from core.audit.repository import AuditRepository
from core.db import Database
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.events.models import EnterpriseEvent, EventData, history_facts
from core.events.repository import EventRepository
from core.registry.repository import EnterpriseRepository
from core.registry.rows import field_errors

RECORDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
STAFF = frozenset(Role)


class EventService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.events = EventRepository(database)
        self.enterprises = EnterpriseRepository(database)
        self.audit = AuditRepository(database)

    async def record(self, viewer: Viewer, data: dict[str, Any], *, request_id: str,
                     source: str = "manual") -> tuple[EnterpriseEvent, bool]:
        """Store one event; returns it and whether it was new. A replay of the same id and payload
        returns the stored event; a different payload under that id is refused (ID_CONFLICT)."""
        if not viewer.has_any(RECORDERS):
            raise PermissionDenied("only supervisors and administrators record enterprise events")
        try:
            parsed = EventData.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, {})) from None
        # Dates are local: allow the earliest time zone's today (UTC+14), refuse anything later.
        if parsed.occurred_on > (datetime.now(UTC) + timedelta(hours=14)).date():
            raise ValidationFailed([FieldError("occurredOn", "an event cannot be in the future", "IN_FUTURE")])
        enterprise = (await self.enterprises.by_codes([parsed.credit_code])).get(parsed.credit_code)
        if enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"enterprise {parsed.credit_code} not found", field="creditCode")
        event = EnterpriseEvent(**parsed.model_dump(), source=source, recorded_by=viewer.username or "",
                                recorded_at=datetime.now(UTC))
        try:
            await self._store(event, viewer, request_id)
        except DuplicateKeyError:
            # The unique _id decided: this id was recorded before (the transaction is gone; read outside it).
            stored = await self.events.get(parsed.id)
            if stored is None or EventData.model_validate(stored.model_dump(include=set(EventData.model_fields))) \
                    != parsed:
                raise Conflict(f"event {parsed.id} was recorded with a different payload", code="ID_CONFLICT",
                               field="id") from None
            return stored, False
        return event, True

    async def _store(self, event: EnterpriseEvent, viewer: Viewer, request_id: str) -> None:
        """The event and its audit record in one transaction, retried when a concurrent write conflicts."""
        for attempt in range(5):
            try:
                async with self.database.start_session() as session, await session.start_transaction():
                    await self.events.insert(event, session=session)
                    await self.audit.append(actor=viewer.username, action="recordEnterpriseEvent",
                                            target=f"enterprise:{event.credit_code}", request_id=request_id,
                                            outcome="ok", detail={"event": event.id, "kind": event.kind.value},
                                            session=session)
                return
            except OperationFailure as exc:
                if not exc.has_error_label("TransientTransactionError") or attempt == 4:
                    raise

    async def of_enterprises(self, viewer: Viewer, codes: list[str]) -> dict[str, list[EnterpriseEvent]]:
        """Recent events of enterprises the caller has already resolved within the viewer's scope."""
        if not viewer.has_any(STAFF):
            return {}
        return await self.events.of_enterprises(codes)


async def history_for(database: Database, codes: list[str], day: date) -> dict[str, dict[str, Any]]:
    """The computed facts of each enterprise on ``day`` (a function, for the policy evaluators)."""
    windows = await EventRepository(database).windows(codes, day)
    return {code: history_facts(windows.get(code, []), day) for code in codes}
