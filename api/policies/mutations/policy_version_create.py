"""createPolicyVersion: a new draft version from a parent (default: the active version)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, version_payload


@strawberry.input
class CreatePolicyVersionInput:
    policy_id: str
    parent_id: str | None = strawberry.field(default=None, description="Default: the active version")


async def create_policy_version(info: Info[Context, None], input: CreatePolicyVersionInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.create_version(
        info.context.viewer, input.policy_id, parent_id=input.parent_id))
