"""updateEnterprise: edit an enterprise's registry record under optimistic concurrency."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.registry import types


@strawberry.input
class GeoPointInput:
    lat: float
    lon: float


@strawberry.input
class CreditRatingInput:
    tier: types.CreditTier
    rated_on: str | None = None
    published: bool = True


@strawberry.input
class PerformanceInput:
    grade: types.PerformanceGrade
    leading: bool = False


@strawberry.input
class UpdateEnterpriseInput:
    credit_code: str
    version: int = strawberry.field(description="The version you read; a newer stored one refuses the edit")
    name: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    jurisdiction: str | None = strawberry.UNSET
    industry_code: str | None = strawberry.UNSET
    key_discharger: bool | None = strawberry.UNSET
    online_monitoring: bool | None = strawberry.UNSET
    location: GeoPointInput | None = strawberry.UNSET
    credit: CreditRatingInput | None = strawberry.UNSET
    performance: PerformanceInput | None = strawberry.UNSET
    emergency_risk: types.EmergencyRisk | None = strawberry.UNSET


@strawberry.type
class UpdateEnterprisePayload:
    enterprise: types.Enterprise | None
    user_errors: list[UserError]


def _changes(data: UpdateEnterpriseInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("name", "address", "jurisdiction", "industry_code", "key_discharger",
                 "online_monitoring"):
        value = getattr(data, name)
        if value is not strawberry.UNSET:
            changes[name] = value
    if data.location is not strawberry.UNSET:
        changes["location"] = {"lat": data.location.lat, "lon": data.location.lon} if data.location else None
    if data.credit is not strawberry.UNSET:
        changes["credit"] = (
            {"tier": data.credit.tier.value, "rated_on": data.credit.rated_on,
             "published": data.credit.published} if data.credit else None)
    if data.performance is not strawberry.UNSET and data.performance is not None:
        changes["performance"] = {"grade": data.performance.grade.value, "leading": data.performance.leading}
    if data.emergency_risk is not strawberry.UNSET:
        changes["emergency_risk"] = data.emergency_risk.value if data.emergency_risk else None
    return changes


async def update_enterprise(info: Info[Context, None], input: UpdateEnterpriseInput) -> UpdateEnterprisePayload:
    context = info.context
    code = input.credit_code.strip().upper()
    return await payload(
        context.services.registry.update_and_redecide(context.viewer, credit_code=code, version=input.version,
                                                      changes=_changes(input), request_id=context.request_id),
        ok=lambda enterprise: UpdateEnterprisePayload(enterprise=types.Enterprise.from_domain(enterprise),
                                                      user_errors=[]),
        refused=lambda errors: UpdateEnterprisePayload(enterprise=None, user_errors=errors))
