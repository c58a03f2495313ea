"""updatePlan: edit a draft plan under optimistic concurrency."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections.mutations.inputs import PlanFieldsInput, plan_fields
from api.inspections.mutations.payloads import PlanPayload, plan_payload


@strawberry.input
class UpdatePlanInput(PlanFieldsInput):
    plan_id: str
    version: int


async def update_plan(info: Info[Context, None], input: UpdatePlanInput) -> PlanPayload:
    context = info.context
    return await plan_payload(
        context.services.plans.update(context.viewer, input.plan_id, version=input.version,
                                      data=plan_fields(input), request_id=context.request_id))
