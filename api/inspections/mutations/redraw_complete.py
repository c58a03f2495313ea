"""completeRedraw: complete the plan's filed replacement with the public value its filing announced."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.inspections import types
from api.inspections.mutations.plan_redraw import RedrawPayload


@strawberry.input
class CompleteRedrawInput:
    plan_id: str
    public_value: str = strawberry.field(description="The announced event's result, exactly in the announced format")


async def complete_redraw(info: Info[Context, None], input: CompleteRedrawInput) -> RedrawPayload:
    context = info.context
    return await payload(
        context.services.redraws.complete(context.viewer, input.plan_id, public_value=input.public_value,
                                          request_id=context.request_id),
        ok=lambda done: RedrawPayload(redraw_id=done.record["_id"],
                                      tasks=[types.Task.from_domain(t) for t in done.tasks], user_errors=[]),
        refused=lambda errors: RedrawPayload(redraw_id=None, tasks=[], user_errors=errors))
