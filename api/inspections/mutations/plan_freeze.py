"""freezePlan: freeze the population, publish the plan and the commitment to the draw secret."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections import types
from api.inspections.mutations.payloads import PlanPayload, refused
from core.errors import DomainError


@strawberry.input
class FreezePlanInput:
    plan_id: str


async def freeze_plan(info: Info[Context, None], data: FreezePlanInput) -> PlanPayload:
    context = info.context
    try:
        plan = await context.services.draws.freeze(context.viewer, data.plan_id, request_id=context.request_id)
    except DomainError as exc:
        return PlanPayload(plan=None, user_errors=refused(exc))
    return PlanPayload(plan=types.Plan.from_domain(plan), user_errors=[])
