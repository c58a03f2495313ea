"""recordEnterpriseEvent: record an event on an enterprise; its policies decide again."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.events.types import EnterpriseEvent, EventKind
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from core.events import models as events


@strawberry.input
class RecordEnterpriseEventInput:
    event_id: str = strawberry.field(description="A UUID you generate: the id and the idempotency key")
    credit_code: str
    kind: EventKind
    occurred_on: date
    ends_on: date | None = None
    reference: str = ""
    description: str = ""


@strawberry.type
class RecordEnterpriseEventPayload:
    event: EnterpriseEvent | None
    replayed: bool
    decisions_changed: int
    user_errors: list[UserError]


def _recorded(done: tuple[events.EnterpriseEvent, bool, int]) -> RecordEnterpriseEventPayload:
    event, created, changed = done
    return RecordEnterpriseEventPayload(event=EnterpriseEvent.from_domain(event), replayed=not created,
                                        decisions_changed=changed, user_errors=[])


async def record_enterprise_event(info: Info[Context, None],
                                  input: RecordEnterpriseEventInput
                                  ) -> RecordEnterpriseEventPayload:
    context = info.context
    data = {"id": input.event_id, "credit_code": input.credit_code.strip().upper(), "kind": input.kind.value,
            "occurred_on": input.occurred_on, "ends_on": input.ends_on, "reference": input.reference,
            "description": input.description}
    return await payload(
        context.services.events.record_and_redecide(context.viewer, data, request_id=context.request_id),
        ok=_recorded,
        refused=lambda errors: RecordEnterpriseEventPayload(event=None, replayed=False, decisions_changed=0,
                                                            user_errors=errors))
