"""drawPlan: draw the objects, then the inspectors, and create the tasks — once per plan."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.inspections import types
from api.inspections.mutations.payloads import DrawPlanPayload


@strawberry.input
class DrawPlanInput:
    plan_id: str
    public_value: str = strawberry.field(
        default="", description="The value announced at freeze (the plan's announcement), exactly in its format")
    inspection_date: date | None = strawberry.field(
        default=None, description="Protocol 1 plans only (protocol 2 commits it at freeze; a different one is "
                                  "refused)")


async def draw_plan(info: Info[Context, None], input: DrawPlanInput) -> DrawPlanPayload:
    context = info.context
    return await payload(
        context.services.draws.draw(context.viewer, input.plan_id, public_value=input.public_value,
                                    inspection_date=input.inspection_date, request_id=context.request_id),
        ok=lambda drawn: DrawPlanPayload(draw=types.Draw.from_domain(drawn.draw),
                                         plan=types.Plan.from_domain(drawn.plan), user_errors=[]),
        refused=lambda errors: DrawPlanPayload(draw=None, plan=None, user_errors=errors))
