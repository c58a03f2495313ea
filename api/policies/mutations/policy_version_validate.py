"""validatePolicyVersion: schema, vocabulary, gaps, conflicts, dead rules and a trial compilation."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.policies.mutations.shared import VersionInput, user_errors
from core.errors import DomainError


@strawberry.type
class ValidationPayload:
    valid: bool
    user_errors: list[UserError]


async def validate_policy_version(info: Info[Context, None], input: VersionInput) -> ValidationPayload:
    try:
        problems = await info.context.services.policies.validate(info.context.viewer, input.version_id)
    except DomainError as exc:
        return ValidationPayload(valid=False, user_errors=user_errors(exc.as_field_errors()))
    return ValidationPayload(valid=not problems, user_errors=user_errors(problems))
