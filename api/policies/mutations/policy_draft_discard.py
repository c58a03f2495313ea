"""discardPolicyDraft: give a draft up, with a reason; it is kept as discarded and never edited again."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, version_payload


@strawberry.input
class DiscardPolicyDraftInput:
    version_id: str
    reason: str


async def discard_policy_draft(info: Info[Context, None], input: DiscardPolicyDraftInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.discard_draft(
        info.context.viewer, input.version_id, reason=input.reason))
