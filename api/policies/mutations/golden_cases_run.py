"""runGoldenCases: run a version's golden cases."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.policies import types
from api.policies.mutations.shared import VersionInput


@strawberry.type
class GoldenCasesPayload:
    results: list[types.GoldenCaseResult]
    user_errors: list[UserError]


async def run_golden_cases(info: Info[Context, None], input: VersionInput) -> GoldenCasesPayload:
    return await payload(
        info.context.services.policies.run_golden_cases(info.context.viewer, input.version_id),
        ok=lambda results: GoldenCasesPayload(results=[types.GoldenCaseResult.from_domain(r) for r in results],
                                              user_errors=[]),
        refused=lambda errors: GoldenCasesPayload(results=[], user_errors=errors))
