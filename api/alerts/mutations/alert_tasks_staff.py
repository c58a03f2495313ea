"""staffAlertTasks: draw two certified inspectors at random for each unstaffed verification task of an alert."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from core.alerts import tasks as alert_tasks
from core.alerts.models import Alert
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


async def _supervised(context: Context, alert_id: str) -> Alert:
    """The alert, if the viewer supervises every one of its jurisdictions."""
    alert = await context.services.alerts.get(context.viewer, alert_id)
    for jurisdiction in alert.jurisdictions:
        require_supervisor(context.viewer, jurisdiction)
    return alert


async def staff_alert_tasks(info: Info[Context, None], input: StaffAlertTasksInput) -> StaffAlertTasksPayload:
    context = info.context

    async def staffed(alert: Alert) -> StaffAlertTasksPayload:
        # Outside the guarded call: a refusal of the staffing itself stays a top-level error.
        done = await context.services.targeted.staff(context.viewer, alert_tasks.origin(alert.id))
        return StaffAlertTasksPayload(staffed=done["staffed"], unstaffed=done["unstaffed"], seed=done["seed"],
                                      user_errors=[])

    return await payload(_supervised(context, input.alert_id), ok=staffed,
                         refused=lambda errors: StaffAlertTasksPayload(staffed=0, unstaffed=JSON({}), seed=None,
                                                                       user_errors=errors))
