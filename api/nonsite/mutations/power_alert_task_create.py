"""createPowerAlertTask: a targeted verification task for a power alert's enterprise."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import PowerAlertRef


@strawberry.type
class CreatePowerAlertTaskPayload:
    record: PowerAlertRef | None
    replayed: bool
    task_id: str | None
    user_errors: list[UserError]


async def create_power_alert_task(info: Info[Context, None], alert_id: str) -> CreatePowerAlertTaskPayload:
    return await payload(
        info.context.services.power_alerts.create_task(info.context.viewer, alert_id),
        ok=lambda task_id: CreatePowerAlertTaskPayload(record=PowerAlertRef(alert_id=alert_id), replayed=False,
                                                       task_id=task_id, user_errors=[]),
        refused=lambda errors: CreatePowerAlertTaskPayload(record=None, replayed=False, task_id=None,
                                                           user_errors=errors))
