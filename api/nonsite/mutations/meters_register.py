"""registerMeters: register or update sub-meters (production line, treatment facility, total)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import row_errors
from core.nonsite.readings import RowError


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


def _registered(done: tuple[int, int, list[RowError]]) -> RegisterMetersPayload:
    inserted, updated, errors = done
    return RegisterMetersPayload(inserted=inserted, updated=updated, user_errors=row_errors(errors))


async def register_meters(info: Info[Context, None], meters: list[MeterInput]) -> RegisterMetersPayload:
    rows = [{"meter_id": m.meter_id, "credit_code": m.credit_code, "role": m.role, "unit": m.unit,
             "rated_kw": m.rated_kw} for m in meters]
    return await payload(
        info.context.services.meters.register(info.context.viewer, rows),
        ok=_registered,
        refused=lambda errors: RegisterMetersPayload(inserted=0, updated=0, user_errors=errors))
