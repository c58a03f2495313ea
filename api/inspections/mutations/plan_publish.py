"""publishPlan: make a plan's draw public (一公开) with its verification document."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections.mutations.payloads import PlanPayload, plan_payload


@strawberry.input
class PublishPlanInput:
    plan_id: str


async def publish_plan(info: Info[Context, None], input: PublishPlanInput) -> PlanPayload:
    context = info.context
    return await plan_payload(
        context.services.draws.publish(context.viewer, input.plan_id, request_id=context.request_id))
