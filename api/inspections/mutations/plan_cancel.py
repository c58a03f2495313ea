"""cancelPlan: call off a frozen (or drawn, unstarted) plan by a recorded, reasoned act that stays public."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections.mutations.payloads import PlanPayload, plan_payload


@strawberry.input
class CancelPlanInput:
    plan_id: str
    reason: str = strawberry.field(description="Why the plan is called off; published with the plan")


async def cancel_plan(info: Info[Context, None], input: CancelPlanInput) -> PlanPayload:
    context = info.context
    return await plan_payload(
        context.services.draws.cancel(context.viewer, input.plan_id, reason=input.reason,
                                      request_id=context.request_id))
