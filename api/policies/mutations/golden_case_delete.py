"""deleteGoldenCase: remove a golden case from a draft (a wrong case must not block its submission for ever)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies.mutations.shared import PolicyVersionPayload, version_payload


@strawberry.input
class DeleteGoldenCaseInput:
    version_id: str
    case_id: str


async def delete_golden_case(info: Info[Context, None], input: DeleteGoldenCaseInput) -> PolicyVersionPayload:
    return await version_payload(info.context.services.policies.delete_golden_case(
        info.context.viewer, input.version_id, case_id=input.case_id))
