"""addGoldenCase: add a golden case (facts → expected outputs) to a draft."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.policies.mutations.shared import PolicyVersionPayload, version_payload
from core.error_codes import ErrorCode


@strawberry.input
class AddGoldenCaseInput:
    version_id: str
    facts: JSON
    expected: JSON
    note: str = ""


async def add_golden_case(info: Info[Context, None], input: AddGoldenCaseInput) -> PolicyVersionPayload:
    if not isinstance(input.facts, dict) or not isinstance(input.expected, dict):
        return PolicyVersionPayload(version=None, user_errors=[UserError(
            field="facts", message="facts and expected must be JSON objects", code=ErrorCode.INVALID_VALUE)])
    return await version_payload(info.context.services.policies.add_golden_case(
        info.context.viewer, input.version_id, facts=input.facts, expected=input.expected, note=input.note))
