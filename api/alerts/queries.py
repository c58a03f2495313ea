"""Alert queries: alerts, alertMeasures, alertTasks, alertLevelFromForecast."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.alerts import types
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
        return [types.AlertMeasure(credit_code=r["credit_code"], name=r["name"], jurisdiction=r["jurisdiction"],
                                   measure=r["measure"], reduction_pct=r["reduction_pct"], rules=r["rules"],
                                   policy_version=r["policy_version"]) for r in rows]

    @strawberry.field(description="The alert level a forecast of daily AQI calls for (DOMAIN rule 13).")
    def alert_level_from_forecast(self, daily_aqi: list[float]) -> str:
        return level_from_forecast(daily_aqi)
