"""validatePolicyVersion: schema, vocabulary, gaps, conflicts, dead rules and a trial compilation."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.policies.mutations.shared import VersionInput, user_errors


@strawberry.type
class ValidationPayload:
    valid: bool
    user_errors: list[UserError]


async def validate_policy_version(info: Info[Context, None], input: VersionInput) -> ValidationPayload:
    return await payload(
        info.context.services.policies.validate(info.context.viewer, input.version_id),
        ok=lambda problems: ValidationPayload(valid=not problems, user_errors=user_errors(problems)),
        refused=lambda errors: ValidationPayload(valid=False, user_errors=errors))
