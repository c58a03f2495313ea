"""activatePolicyVersion: approved → active from a date; the previous version retires the day before."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, version_payload


@strawberry.input
class ActivatePolicyVersionInput:
    version_id: str
    effective_from: date


async def activate_policy_version(info: Info[Context, None], input: ActivatePolicyVersionInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.activate(
        info.context.viewer, input.version_id, effective_from=input.effective_from))
