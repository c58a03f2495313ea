"""updatePolicyDraft: replace a draft's rules; refused with coded errors naming rule and field."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.policies.mutations.shared import PolicyVersionPayload, version_payload
from core.error_codes import ErrorCode


@strawberry.input
class UpdatePolicyDraftInput:
    version_id: str
    content: JSON
    reason: str = ""


async def update_policy_draft(info: Info[Context, None], input: UpdatePolicyDraftInput) -> PolicyVersionPayload:
    if not isinstance(input.content, dict):
        return PolicyVersionPayload(version=None, user_errors=[UserError(
            field="content", message="content must be a JSON object", code=ErrorCode.MALFORMED_POLICY)])
    return await version_payload(info.context.services.policies.update_draft(
        info.context.viewer, input.version_id, input.content, reason=input.reason))
