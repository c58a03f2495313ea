"""redraw: replace one task's inspector or object by a new, logged, verifiable draw."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.inspections import types
from api.inspections.mutations.payloads import refused
from core.errors import DomainError


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


async def redraw(info: Info[Context, None], data: RedrawInput) -> RedrawPayload:
    context = info.context
    try:
        redrawn = await context.services.redraws.redraw(
            context.viewer, data.plan_id, credit_code=data.credit_code.strip().upper(), kind=data.kind.value,
            reason=data.reason, staff_id=data.staff_id, request_id=context.request_id)
    except DomainError as exc:
        return RedrawPayload(redraw_id=None, tasks=[], user_errors=refused(exc))
    return RedrawPayload(redraw_id=redrawn.record["_id"], tasks=[types.Task.from_domain(t) for t in redrawn.tasks],
                         user_errors=[])
