"""createPlan: a draft random-check plan."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections.mutations.inputs import PlanFieldsInput, plan_fields
from api.inspections.mutations.payloads import PlanPayload, plan_payload


@strawberry.input
class CreatePlanInput(PlanFieldsInput):
    pass


async def create_plan(info: Info[Context, None], input: CreatePlanInput) -> PlanPayload:
    context = info.context
    return await plan_payload(
        context.services.plans.create(context.viewer, plan_fields(input), request_id=context.request_id))
