"""Payloads shared by the plan mutations, and the payload of a call that returns a plan."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.inspections import types
from core.inspections.models import Plan


@strawberry.type
class PlanPayload:
    plan: types.Plan | None
    user_errors: list[UserError]


@strawberry.type
class DrawPlanPayload:
    draw: types.Draw | None
    plan: types.Plan | None
    user_errors: list[UserError]


async def plan_payload(call: Awaitable[Plan]) -> PlanPayload:
    """The payload of a plan mutation: the plan, or the refusal as userErrors."""
    return await payload(call, ok=lambda plan: PlanPayload(plan=types.Plan.from_domain(plan), user_errors=[]),
                         refused=lambda errors: PlanPayload(plan=None, user_errors=errors))
