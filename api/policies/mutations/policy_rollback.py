"""rollbackPolicy: re-activate an earlier (retired) version from today, with a reason."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, version_payload


@strawberry.input
class RollbackPolicyInput:
    policy_id: str
    to_version: str
    reason: str


async def rollback_policy(info: Info[Context, None], input: RollbackPolicyInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.rollback(
        info.context.viewer, input.policy_id, to_version=input.to_version, reason=input.reason))
