"""submitPolicyVersion: draft → in review; needs a clean validation and passing golden cases."""

from __future__ import annotations

from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, VersionInput, version_payload


async def submit_policy_version(info: Info[Context, None], input: VersionInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.submit(info.context.viewer, input.version_id))
