"""redraw: replace one task's inspector or object by a new, logged, verifiable draw."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.inspections import types


@strawberry.enum
class RedrawKind(Enum):
    INSPECTOR = "inspector"
    OBJECT = "object"


@strawberry.input
class RedrawInput:
    plan_id: str
    credit_code: str = strawberry.field(description="The task's enterprise")
    kind: RedrawKind
    reason: str = strawberry.field(description="Why, e.g. an accepted recusal or a closed enterprise")
    staff_id: str | None = strawberry.field(default=None, description="The inspector to replace (kind INSPECTOR)")


@strawberry.type
class RedrawPayload:
    redraw_id: str | None
    tasks: list[types.Task]
    user_errors: list[UserError]


async def redraw(info: Info[Context, None], input: RedrawInput) -> RedrawPayload:
    context = info.context
    return await payload(
        context.services.redraws.redraw(
            context.viewer, input.plan_id, credit_code=input.credit_code.strip().upper(), kind=input.kind.value,
            reason=input.reason, staff_id=input.staff_id, request_id=context.request_id),
        ok=lambda redrawn: RedrawPayload(redraw_id=redrawn.record["_id"],
                                         tasks=[types.Task.from_domain(t) for t in redrawn.tasks], user_errors=[]),
        refused=lambda errors: RedrawPayload(redraw_id=None, tasks=[], user_errors=errors))
