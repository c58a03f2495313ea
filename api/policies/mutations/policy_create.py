"""createPolicy: a city's own policy of a kind, its first version a draft copied from the province's."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, version_payload


@strawberry.input
class CreatePolicyInput:
    kind: str = strawberry.field(description="supervision_class, positive_list or sampling_ratio")
    jurisdiction: str = strawberry.field(description="A city of the province, within your jurisdictions")


async def create_policy(info: Info[Context, None], input: CreatePolicyInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.create_policy(
        info.context.viewer, kind=input.kind, jurisdiction=input.jurisdiction))
