"""Alert queries: alerts, alertMeasures, alertPreview, alertTasks, alertLevelFromForecast."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.alerts import types
from api.alerts.mutations.alert_issue import IssueAlertInput, issue_data
from api.context import Context
from api.inspections.types import Task
from core.alerts.levels import level_from_forecast


@strawberry.type
class AlertQuery:
    @strawberry.field(description="The verification tasks an alert created (one per halted or cut enterprise).")
    async def alert_tasks(self, info: Info[Context, None], alert_id: str) -> list[Task]:
        found = await info.context.services.alerts.verification_tasks(info.context.viewer, alert_id)
        return [Task.from_domain(t) for t in found]

    @strawberry.field(description="Alerts in the viewer's jurisdictions, newest first.")
    async def alerts(self, info: Info[Context, None]) -> list[types.Alert]:
        return [types.Alert.from_domain(a) for a in await info.context.services.alerts.list_alerts(info.context.viewer)]

    @strawberry.field(description="Each enterprise's measures under an alert, by credit code.")
    async def alert_measures(self, info: Info[Context, None], alert_id: str, first: int,
                             after: str | None = None) -> list[types.AlertMeasure]:
        rows = await info.context.services.alerts.measures(info.context.viewer, alert_id, first=first, after=after)
        return [types.AlertMeasure.from_row(r) for r in rows]

    @strawberry.field(description="What issuing this alert would do, per jurisdiction, before anything is stored: "
                                  "enterprises verified from their data, exempt, flagged, pooled, and the on-site "
                                  "sample size. Supervisors of every jurisdiction named. Errors: FORBIDDEN, "
                                  "BAD_USER_INPUT, NO_POLICY.")
    async def alert_preview(self, info: Info[Context, None], input: IssueAlertInput) -> list[types.VerificationRoutes]:
        rows = await info.context.services.alerts.preview(info.context.viewer, issue_data(input))
        return [types.VerificationRoutes.from_row(r) for r in rows]

    @strawberry.field(description="The alert level a forecast of daily AQI calls for (DOMAIN rule 13).")
    def alert_level_from_forecast(self, daily_aqi: list[float]) -> str:
        return level_from_forecast(daily_aqi)
