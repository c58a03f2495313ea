"""scanPowerUsage: scan the meters of a jurisdiction for anomalies over whole UTC days."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.nonsite import types
from core.error_codes import ErrorCode
from core.errors import FieldError, ValidationFailed


@strawberry.input
class ScanInput:
    start: date
    days: int = 3
    jurisdiction: str | None = None


async def scan_power_usage(info: Info[Context, None], input: ScanInput) -> types.PowerUsageScan:
    viewer = info.context.viewer
    scope = input.jurisdiction or (viewer.jurisdictions[0] if viewer.jurisdictions else "")
    if not viewer.covers(scope) or not 1 <= input.days <= 31:
        raise ValidationFailed([FieldError("input", "a jurisdiction you cover and 1-31 days", ErrorCode.INVALID_VALUE)])
    found = await info.context.services.power_scan.scan(scopes=[scope], start=input.start, days=input.days)
    return types.PowerUsageScan.from_result(found)
