"""Event queries: the recommended fine for one violation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from strawberry.types import Info

from api.context import Context
from api.events import types


@strawberry.type
class EventQuery:
    @strawberry.field(description="Penalty discretion (DOMAIN rule 25): the recommended fine for one violation "
                                  "under the penalty_discretion policy in force, clamped to the statutory range.")
    async def recommend_penalty(self, info: Info[Context, None], input: types.RecommendPenaltyInput,
                                on: date | None = None) -> types.PenaltyRecommendation:
        found = await info.context.services.penalty_advice.recommend(info.context.viewer, input.to_facts(),
                                                                     on or datetime.now(UTC).date())
        return types.PenaltyRecommendation.from_domain(found)
