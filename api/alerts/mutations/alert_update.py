"""updateAlert: extend, upgrade or downgrade an alert under optimistic concurrency; measures are recomputed."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.alerts.types import AlertPayload, alert_payload
from api.context import Context


@strawberry.input
class UpdateAlertInput:
    alert_id: str
    version: int
    level: str | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    jurisdictions: list[str] | None = strawberry.UNSET


async def update_alert(info: Info[Context, None], input: UpdateAlertInput) -> AlertPayload:
    changes = {name: getattr(input, name) for name in ("level", "ends_at", "jurisdictions")
               if getattr(input, name) not in (strawberry.UNSET, None)}
    return await alert_payload(info.context.services.alerts.update(info.context.viewer, input.alert_id,
                                                                   version=input.version, changes=changes))
