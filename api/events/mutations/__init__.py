"""Event mutations, one module each, merged into ``EventMutation``."""

from __future__ import annotations

import strawberry

from api.events.mutations import event_record


@strawberry.type
class EventMutation:
    record_enterprise_event = strawberry.mutation(
        resolver=event_record.record_enterprise_event,
        description="Record a penalty, case, emergency, verified complaint, … on an enterprise; "
                    "its supervision class and positive-list status are decided again.")
