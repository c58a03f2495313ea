"""Payloads shared by the plan mutations, and the mapping of a refusal to their user errors."""

from __future__ import annotations

import strawberry

from api.graphql.relay import UserError
from api.inspections import types
from core.errors import DomainError


@strawberry.type
class PlanPayload:
    plan: types.Plan | None
    user_errors: list[UserError]


@strawberry.type
class DrawPlanPayload:
    draw: types.Draw | None
    plan: types.Plan | None
    user_errors: list[UserError]


def refused(exc: DomainError) -> list[UserError]:
    return [UserError.from_domain(e) for e in exc.as_field_errors()]
