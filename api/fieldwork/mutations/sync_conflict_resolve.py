"""resolveSyncConflict: record a supervisor's decision on a sync conflict."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError


@strawberry.input
class ResolveSyncConflictInput:
    conflict_id: str
    resolution: str = strawberry.field(description="accept or discard")
    note: str = ""


@strawberry.type
class ResolveSyncConflictPayload:
    resolved: bool
    user_errors: list[UserError]


async def resolve_sync_conflict(info: Info[Context, None],
                                input: ResolveSyncConflictInput
                                ) -> ResolveSyncConflictPayload:
    return await payload(
        info.context.services.oversight.resolve(info.context.viewer, input.conflict_id,
                                                resolution=input.resolution, note=input.note),
        ok=lambda _: ResolveSyncConflictPayload(resolved=True, user_errors=[]),
        refused=lambda errors: ResolveSyncConflictPayload(resolved=False, user_errors=errors))
