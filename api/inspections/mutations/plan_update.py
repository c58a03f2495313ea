"""updatePlan: edit a draft plan under optimistic concurrency."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections import types
from api.inspections.mutations.inputs import PlanFieldsInput, plan_fields
from api.inspections.mutations.payloads import PlanPayload, refused
from core.errors import DomainError


@strawberry.input
class UpdatePlanInput(PlanFieldsInput):
    plan_id: str
    version: int


async def update_plan(info: Info[Context, None], data: UpdatePlanInput) -> PlanPayload:
    context = info.context
    try:
        plan = await context.services.plans.update(context.viewer, data.plan_id, version=data.version,
                                                   data=plan_fields(data), request_id=context.request_id)
    except DomainError as exc:
        return PlanPayload(plan=None, user_errors=refused(exc))
    return PlanPayload(plan=types.Plan.from_domain(plan), user_errors=[])
