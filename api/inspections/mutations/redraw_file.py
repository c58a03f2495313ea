"""fileRedraw: file a replacement (the server's next number) with its reason; its public value is announced."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.inspections import types
from api.inspections.mutations.plan_redraw import RedrawKind, RedrawPayload


@strawberry.input
class FileRedrawInput:
    plan_id: str
    credit_code: str = strawberry.field(description="The task's enterprise")
    kind: RedrawKind
    reason: str = strawberry.field(description="Why, e.g. an accepted recusal or a closed enterprise; published")
    staff_id: str | None = strawberry.field(default=None, description="The inspector to replace (kind INSPECTOR)")


async def file_redraw(info: Info[Context, None], input: FileRedrawInput) -> RedrawPayload:
    context = info.context
    return await payload(
        context.services.redraws.file(
            context.viewer, input.plan_id, credit_code=input.credit_code.strip().upper(), kind=input.kind.value,
            reason=input.reason, staff_id=input.staff_id, request_id=context.request_id),
        ok=lambda filed: RedrawPayload(redraw_id=filed.record["_id"],
                                       tasks=[types.Task.from_domain(t) for t in filed.tasks], user_errors=[]),
        refused=lambda errors: RedrawPayload(redraw_id=None, tasks=[], user_errors=errors))
