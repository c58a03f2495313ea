"""registerMeters: register or update sub-meters (production line, treatment facility, total)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError, user_errors
from api.nonsite.types import row_errors
from core.errors import DomainError


@strawberry.input
class MeterInput:
    meter_id: str
    credit_code: str
    role: str = strawberry.field(description="production, treatment or total")
    unit: str = ""
    rated_kw: float


@strawberry.type
class RegisterMetersPayload:
    inserted: int
    updated: int
    user_errors: list[UserError]


async def register_meters(info: Info[Context, None], meters: list[MeterInput]) -> RegisterMetersPayload:
    rows = [{"meter_id": m.meter_id, "credit_code": m.credit_code, "role": m.role, "unit": m.unit,
             "rated_kw": m.rated_kw} for m in meters]
    try:
        inserted, updated, errors = await info.context.services.meters.register(info.context.viewer, rows)
    except DomainError as exc:
        return RegisterMetersPayload(inserted=0, updated=0, user_errors=user_errors(exc))
    return RegisterMetersPayload(inserted=inserted, updated=updated, user_errors=row_errors(errors))
