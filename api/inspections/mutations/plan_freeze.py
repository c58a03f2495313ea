"""freezePlan: freeze the population, publish the plan and the commitment to the draw secret."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections.mutations.payloads import PlanPayload, plan_payload


@strawberry.input
class FreezePlanInput:
    plan_id: str


async def freeze_plan(info: Info[Context, None], input: FreezePlanInput) -> PlanPayload:
    context = info.context
    return await plan_payload(
        context.services.draws.freeze(context.viewer, input.plan_id, request_id=context.request_id))
