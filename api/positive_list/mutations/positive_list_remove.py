"""removeFromPositiveList: a supervisor removes a member by decision, with the reason and the date."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.positive_list.types import PositiveListChange
from core.positive_list.models import MembershipChange


@strawberry.input
class RemoveFromPositiveListInput:
    credit_code: str
    reason: str
    effective_on: date | None = strawberry.field(default=None, description="Default: today; never in the future")


@strawberry.type
class RemoveFromPositiveListPayload:
    change: PositiveListChange | None
    user_errors: list[UserError]


def _removed(change: MembershipChange) -> RemoveFromPositiveListPayload:
    return RemoveFromPositiveListPayload(change=PositiveListChange.from_domain(change), user_errors=[])


async def remove_from_positive_list(info: Info[Context, None],
                                    input: RemoveFromPositiveListInput) -> RemoveFromPositiveListPayload:
    context = info.context
    return await payload(
        context.services.positive_list.remove(context.viewer, credit_code=input.credit_code, reason=input.reason,
                                              effective_on=input.effective_on, request_id=context.request_id),
        ok=_removed, refused=lambda errors: RemoveFromPositiveListPayload(change=None, user_errors=errors))
