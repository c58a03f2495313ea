"""Positive-list queries: the current members (a connection) and one enterprise's history."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import PageInfo
from api.positive_list import types


@strawberry.type
class PositiveListQuery:
    @strawberry.field(description="Current positive-list (正面清单) members in the viewer's jurisdictions, in "
                                  "registry order, with the admission batch of each.")
    async def positive_list_members(self, info: Info[Context, None], first: int, after: str | None = None,
                                    jurisdiction: str | None = None) -> types.PositiveListMemberConnection:
        page = await info.context.services.positive_list.members(info.context.viewer, first=first, after=after,
                                                                 jurisdiction=jurisdiction)
        return types.PositiveListMemberConnection(
            edges=[types.PositiveListMemberEdge(cursor=c, node=types.PositiveListMember.from_domain(m))
                   for m, c in zip(page.items, page.cursors, strict=True)],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor))

    @strawberry.field(description="Every admission and removal of one enterprise, newest first.")
    async def positive_list_history(self, info: Info[Context, None],
                                    credit_code: str) -> list[types.PositiveListChange]:
        changes = await info.context.services.positive_list.history(info.context.viewer, credit_code)
        return [types.PositiveListChange.from_domain(c) for c in changes]
