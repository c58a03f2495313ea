"""freezePlan: commit everything the draw uses, announce its public value, publish the plan and the commitment."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections.mutations.payloads import PlanPayload, plan_payload


@strawberry.input
class FreezePlanInput:
    plan_id: str
    draw_number: str | None = strawberry.field(
        default=None, description="The issue (期号) of the announced public source's event, if known; published")
    inspection_date: date | None = strawberry.field(
        default=None, description="Certificates must be valid on this day; committed (default: the period start, or "
                                  "the day of the earliest draw if later)")


async def freeze_plan(info: Info[Context, None], input: FreezePlanInput) -> PlanPayload:
    context = info.context
    return await plan_payload(
        context.services.draws.freeze(context.viewer, input.plan_id, request_id=context.request_id,
                                      draw_number=input.draw_number, inspection_date=input.inspection_date))
