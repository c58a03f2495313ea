"""Alert mutations, one module each, merged into ``AlertMutation``."""

from __future__ import annotations

import strawberry

from api.alerts.mutations import alert_issue, alert_lift, alert_tasks_staff, alert_update


@strawberry.type
class AlertMutation:
    issue_alert = strawberry.mutation(
        resolver=alert_issue.issue_alert,
        description="Issue an alert; every affected enterprise's measures are computed and stored.")
    update_alert = strawberry.mutation(
        resolver=alert_update.update_alert,
        description="Extend, upgrade or downgrade an alert; measures are recomputed.")
    staff_alert_tasks = strawberry.mutation(
        resolver=alert_tasks_staff.staff_alert_tasks,
        description="Draw two certified inspectors at random for each unstaffed verification task of an alert.")
    lift_alert = strawberry.mutation(
        resolver=alert_lift.lift_alert, description="Lift an alert now, with a reason.")
