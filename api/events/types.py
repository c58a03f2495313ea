"""Thin GraphQL types for enterprise events."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from core.events import models

EventKind = strawberry.enum(Enum("EventKind", {k.name: k.value for k in models.EventKind}),  # type: ignore[misc]
                            description="What happened: penalty, case, emergency, verified complaint, …")


@strawberry.type(description="Something that happened to an enterprise and counts in its policy facts.")
class EnterpriseEvent:
    event_id: str
    credit_code: str
    kind: EventKind
    occurred_on: date
    ends_on: date | None
    reference: str
    description: str
    source: str
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def from_domain(cls, e: models.EnterpriseEvent) -> EnterpriseEvent:
        return cls(event_id=e.id, credit_code=e.credit_code, kind=EventKind(e.kind.value), occurred_on=e.occurred_on,
                   ends_on=e.ends_on, reference=e.reference, description=e.description, source=e.source,
                   recorded_by=e.recorded_by, recorded_at=e.recorded_at)
