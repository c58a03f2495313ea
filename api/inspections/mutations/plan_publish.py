"""publishPlan: make a plan's draw public (一公开) with its verification document."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections import types
from api.inspections.mutations.payloads import PlanPayload, refused
from core.errors import DomainError


@strawberry.input
class PublishPlanInput:
    plan_id: str


async def publish_plan(info: Info[Context, None], data: PublishPlanInput) -> PlanPayload:
    context = info.context
    try:
        plan = await context.services.draws.publish(context.viewer, data.plan_id, request_id=context.request_id)
    except DomainError as exc:
        return PlanPayload(plan=None, user_errors=refused(exc))
    return PlanPayload(plan=types.Plan.from_domain(plan), user_errors=[])
