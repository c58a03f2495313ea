"""Recording enterprise events: supervisors within their jurisdiction, idempotent by the caller's id."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import ANY_ROLE, SUPERVISORS
from core.audit.repository import AuditRepository
from core.db import Database, is_duplicate_key
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.events.models import EnterpriseEvent, EventData, history_facts
from core.events.repository import EventRepository
from core.hooks import FactsChanged
from core.registry.repository import EnterpriseRepository
from core.registry.rows import field_errors

RECORDERS = SUPERVISORS  # who records enterprise events by hand


def _parse(data: dict[str, Any]) -> EventData:
    try:
        parsed = EventData.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None
    # Dates are local: allow the earliest time zone's today (UTC+14), refuse anything later.
    if parsed.occurred_on > (datetime.now(UTC) + timedelta(hours=14)).date():
        raise ValidationFailed([FieldError("occurredOn", "an event cannot be in the future", ErrorCode.IN_FUTURE)])
    return parsed


class EventService:
    def __init__(self, database: Database, *, on_facts_changed: FactsChanged | None = None) -> None:
        self.database = database
        self.on_facts_changed = on_facts_changed
        self.events = EventRepository(database)
        self.enterprises = EnterpriseRepository(database)
        self.audit = AuditRepository(database)

    async def record(self, viewer: Viewer, data: dict[str, Any], *, request_id: str,
                     source: str = "manual") -> tuple[EnterpriseEvent, bool]:
        """Store one event; returns it and whether it was new. A replay of the same id and payload
        returns the stored event; a different payload under that id is refused (ID_CONFLICT)."""
        if not viewer.has_any(RECORDERS):
            raise PermissionDenied("only supervisors and administrators record enterprise events")
        parsed = _parse(data)
        enterprise = (await self.enterprises.by_codes([parsed.credit_code])).get(parsed.credit_code)
        if enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"enterprise {parsed.credit_code} not found", field="creditCode")
        return await self._record(parsed, recorder=viewer.username, request_id=request_id, source=source)

    async def record_system(self, recorder: str, data: dict[str, Any], *, request_id: str,
                            source: str) -> tuple[EnterpriseEvent, bool]:
        """Store an event that another flow has already authorised (a power alert verified as a
        violation, a complaint closed as founded), in ``recorder``'s name and without a viewer's
        checks: the same validation, idempotency and audit record as ``record``."""
        parsed = _parse(data)
        if (await self.enterprises.by_codes([parsed.credit_code])).get(parsed.credit_code) is None:
            raise NotFound(f"enterprise {parsed.credit_code} not found", field="creditCode")
        return await self._record(parsed, recorder=recorder, request_id=request_id, source=source)

    async def _record(self, parsed: EventData, *, recorder: str | None, request_id: str,
                      source: str) -> tuple[EnterpriseEvent, bool]:
        event = EnterpriseEvent(**parsed.model_dump(), source=source, recorded_by=recorder or "",
                                recorded_at=datetime.now(UTC))
        try:
            await self._store(event, recorder, request_id)
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
            # The unique _id decided: this id was recorded before (the transaction is gone; read outside it).
            stored = await self.events.get(parsed.id)
            if stored is None or EventData.model_validate(stored.model_dump(include=set(EventData.model_fields))) \
                    != parsed:
                raise Conflict(f"event {parsed.id} was recorded with a different payload", code=ErrorCode.ID_CONFLICT,
                               field="id") from None
            return stored, False
        return event, True

    async def _store(self, event: EnterpriseEvent, actor: str | None, request_id: str) -> None:
        """The event and its audit record in one transaction, retried when a concurrent write conflicts."""
        async def store(session: Any) -> None:
            await self.events.insert(event, session=session)
            await self.audit.append(actor=actor, action="recordEnterpriseEvent",
                                    target=f"enterprise:{event.credit_code}", request_id=request_id,
                                    outcome="ok", detail={"event": event.id, "kind": event.kind.value},
                                    session=session)

        await self.database.transaction(store)

    async def get(self, viewer: Viewer, event_id: str) -> EnterpriseEvent:
        """One event, for staff who may see its enterprise."""
        event = await self.events.get(event_id) if viewer.has_any(ANY_ROLE) else None
        enterprise = (await self.enterprises.by_codes([event.credit_code])).get(event.credit_code) if event else None
        if event is None or enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"event {event_id} not found", field="eventId")
        return event

    async def of_enterprises(self, viewer: Viewer, codes: list[str]) -> dict[str, list[EnterpriseEvent]]:
        """Recent events of enterprises the caller has already resolved within the viewer's scope."""
        if not viewer.has_any(ANY_ROLE):
            return {}
        return await self.events.of_enterprises(codes)

    async def record_and_redecide(self, viewer: Viewer, data: dict[str, Any], *,
                                  request_id: str) -> tuple[EnterpriseEvent, bool, int]:
        """``record``, then the enterprise's policies decide again; returns also how many decisions changed."""
        event, created = await self.record(viewer, data, request_id=request_id)
        changed = 0
        if self.on_facts_changed is not None:
            changed = await self.on_facts_changed({"credit_code": event.credit_code},
                                                  f"event:{event.kind.value}:{event.id}")
        return event, created, changed

    async def record_verified(self, actor: str, *, credit_code: str, kind: str, reference: str, description: str,
                              key: str, request_id: str, source: str, occurred_on: date | None = None) -> None:
        """A fact verified by another flow enters the enterprise's events (same id for a replay),
        then its policies decide again. The caller's flow authorised the verification itself, so
        the event is recorded by the system on the verifier's behalf (``record_system``). ``occurred_on``
        (default today) is the day the fact happened, so a replay on a later day is the same event."""
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecoinspect:{kind}:{key}"))
        data = {"id": event_id, "credit_code": credit_code, "kind": kind,
                "occurred_on": occurred_on or datetime.now(UTC).date(), "reference": reference,
                "description": description}
        await self.record_system(f"{actor} (verified)", data, request_id=request_id, source=source)
        if self.on_facts_changed is not None:
            await self.on_facts_changed({"credit_code": credit_code}, f"event:{kind}:{event_id}")


async def history_for(database: Database, codes: list[str], day: date) -> dict[str, dict[str, Any]]:
    """The computed facts of each enterprise on ``day`` (a function, for the policy evaluators)."""
    windows = await EventRepository(database).windows(codes, day)
    return {code: history_facts(windows.get(code, []), day) for code in codes}
