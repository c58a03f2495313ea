"""staffAlertTasks: draw two certified inspectors at random for each unstaffed verification task of an alert."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from core.alerts import tasks as alert_tasks
from core.errors import DomainError
from core.inspections.service import require_supervisor


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
    try:
        alert = await context.services.alerts.get(context.viewer, input.alert_id)
        for jurisdiction in alert.jurisdictions:
            require_supervisor(context.viewer, jurisdiction)
    except DomainError as exc:
        return StaffAlertTasksPayload(staffed=0, unstaffed=JSON({}), seed=None,
                                      user_errors=[UserError.from_domain(e) for e in exc.as_field_errors()])
    done = await context.services.targeted.staff(context.viewer, alert_tasks.origin(alert.id))
    return StaffAlertTasksPayload(staffed=done["staffed"], unstaffed=done["unstaffed"], seed=done["seed"],
                                  user_errors=[])
