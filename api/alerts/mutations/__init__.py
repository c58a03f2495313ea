"""Alert mutations, one module each; ``AlertMutation`` gathers their root fields for the schema."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.alerts.mutations.alert_issue import IssueAlertInput, issue_alert
from api.alerts.mutations.alert_lift import LiftAlertInput, lift_alert
from api.alerts.mutations.alert_tasks_staff import StaffAlertTasksInput, StaffAlertTasksPayload, staff_alert_tasks
from api.alerts.mutations.alert_update import UpdateAlertInput, update_alert
from api.alerts.types import AlertPayload
from api.context import Context


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Issue an alert; every affected enterprise's measures are computed and stored.")
    async def issue_alert(self, info: Info[Context, None], input: IssueAlertInput) -> AlertPayload:
        return await issue_alert(info, input)

    @strawberry.mutation(description="Extend, upgrade or downgrade an alert; measures are recomputed.")
    async def update_alert(self, info: Info[Context, None], input: UpdateAlertInput) -> AlertPayload:
        return await update_alert(info, input)

    @strawberry.mutation(description="Draw two certified inspectors at random for each unstaffed verification "
                                     "task of an alert.")
    async def staff_alert_tasks(self, info: Info[Context, None], input: StaffAlertTasksInput) -> StaffAlertTasksPayload:
        return await staff_alert_tasks(info, input)

    @strawberry.mutation(description="Lift an alert now, with a reason.")
    async def lift_alert(self, info: Info[Context, None], input: LiftAlertInput) -> AlertPayload:
        return await lift_alert(info, input)
