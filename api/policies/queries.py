"""Policy queries: policies, one policy, one version, and explanations of decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from strawberry.types import Info

from api.context import Context
from api.policies import types
from core.errors import DomainError


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="Policies whose jurisdiction the viewer covers.")
    async def policies(self, info: Info[Context, None]) -> list[types.Policy]:
        found = await info.context.services.policies.list_policies(info.context.viewer)
        return [types.Policy.from_domain(p) for p in found]

    @strawberry.field(description="One policy, e.g. supervision_class:610000.")
    async def policy(self, info: Info[Context, None], policy_id: str) -> types.Policy | None:
        try:
            return types.Policy.from_domain(await info.context.services.policies.policy(policy_id,
                                                                                         info.context.viewer))
        except DomainError:
            return None

    @strawberry.field(description="One version, e.g. supervision_class:610000:v2.")
    async def policy_version(self, info: Info[Context, None], version_id: str) -> types.PolicyVersion | None:
        try:
            found = await info.context.services.policies.scoped_version(info.context.viewer, version_id)
        except DomainError:
            return None
        return types.PolicyVersion.from_domain(found)

    @strawberry.field(description="Why an enterprise got its decision under the version in force on a date.")
    async def explain_decision(self, info: Info[Context, None], credit_code: str, policy_id: str,
                               at: date | None = None) -> types.Explanation | None:
        found = await info.context.services.policies.explain(
            info.context.viewer, credit_code=credit_code.strip().upper(), policy_id=policy_id,
            at=at or datetime.now(UTC).date())
        return types.Explanation.from_domain(found) if found else None
