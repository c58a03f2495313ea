"""liftAlert: lift an alert now, with a reason; its unstarted verification tasks are cancelled."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.alerts.types import AlertPayload, alert_payload
from api.context import Context


@strawberry.input
class LiftAlertInput:
    alert_id: str
    version: int
    reason: str


async def lift_alert(info: Info[Context, None], input: LiftAlertInput) -> AlertPayload:
    return await alert_payload(info.context.services.alerts.lift(info.context.viewer, input.alert_id,
                                                                 version=input.version, reason=input.reason))
