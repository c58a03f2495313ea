"""createMatter, updateMatter: the random-check item list (抽查事项清单), province-wide."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.registry import types


@strawberry.enum
class MatterFrequency(Enum):
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    TWICE_YEARLY = "twice_yearly"


@strawberry.input(description="A matter; updateMatter replaces every field but the code")
class MatterInput:
    code: str
    name: str
    object_scope: str
    method: types.InspectionMethod
    legal_basis: str
    default_ratio: float
    frequency: MatterFrequency
    key_item: bool = False


@strawberry.type
class MatterPayload:
    matter: types.Matter | None
    user_errors: list[UserError]


def _data(input: MatterInput) -> dict[str, Any]:
    return {"code": input.code, "name": input.name, "object_scope": input.object_scope,
            "method": input.method.value, "legal_basis": input.legal_basis, "default_ratio": input.default_ratio,
            "frequency": input.frequency.value, "key_item": input.key_item}


async def _save(info: Info[Context, None], input: MatterInput, *, create: bool) -> MatterPayload:
    context = info.context
    return await payload(
        context.services.upkeep.save_matter(context.viewer, _data(input), request_id=context.request_id,
                                            create=create),
        ok=lambda matter: MatterPayload(matter=types.Matter.from_domain(matter), user_errors=[]),
        refused=lambda errors: MatterPayload(matter=None, user_errors=errors))


async def create_matter(info: Info[Context, None], input: MatterInput) -> MatterPayload:
    return await _save(info, input, create=True)


async def update_matter(info: Info[Context, None], input: MatterInput) -> MatterPayload:
    return await _save(info, input, create=False)
