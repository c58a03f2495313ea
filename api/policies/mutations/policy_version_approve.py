"""approvePolicyVersion: in review → approved, by someone other than the author."""

from __future__ import annotations

from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, VersionInput, version_payload


async def approve_policy_version(info: Info[Context, None], input: VersionInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.approve(info.context.viewer, input.version_id))
