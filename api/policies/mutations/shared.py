"""The input and payload several policy mutations share: a version by id, and a version or user errors."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.policies import types
from core.errors import FieldError
from core.policies.models import PolicyVersion


@strawberry.input
class VersionInput:
    version_id: str


@strawberry.type
class PolicyVersionPayload:
    version: types.PolicyVersion | None
    user_errors: list[UserError]


def user_errors(problems: list[FieldError]) -> list[UserError]:
    return [UserError.from_domain(e) for e in problems]


async def version_payload(call: Awaitable[PolicyVersion]) -> PolicyVersionPayload:
    """The version the service call returns, or its refusal as user errors."""
    return await payload(
        call, ok=lambda version: PolicyVersionPayload(version=types.PolicyVersion.from_domain(version), user_errors=[]),
        refused=lambda errors: PolicyVersionPayload(version=None, user_errors=errors))
