"""staffAlertTasks: draw two certified inspectors at random for each unstaffed verification task of an alert."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError


@strawberry.input
class StaffAlertTasksInput:
    alert_id: str


@strawberry.type
class StaffAlertTasksPayload:
    staffed: int
    unstaffed: JSON = strawberry.field(description="credit code → why no team could be drawn")
    seed: str | None
    user_errors: list[UserError]


async def staff_alert_tasks(info: Info[Context, None], input: StaffAlertTasksInput) -> StaffAlertTasksPayload:
    context = info.context
    return await payload(
        context.services.alerts.staff_tasks(context.viewer, input.alert_id),
        ok=lambda done: StaffAlertTasksPayload(staffed=done["staffed"], unstaffed=done["unstaffed"],
                                               seed=done["seed"], user_errors=[]),
        refused=lambda errors: StaffAlertTasksPayload(staffed=0, unstaffed=JSON({}), seed=None, user_errors=errors))
