"""Alert types, queries and mutations (issueAlert, updateAlert, liftAlert)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.inspections.types import Task
from core.alerts import models
from core.alerts.levels import level_from_forecast
from core.errors import DomainError
from core.inspections.service import require_supervisor
from rules import alert_tasks


@strawberry.type
class Alert:
    alert_id: str
    level: str
    jurisdictions: list[str]
    starts_at: datetime
    ends_at: datetime
    source: str
    status: str
    version: int
    issued_by: str
    issued_at: datetime
    policy_version: str
    affected: int
    history: JSON

    @classmethod
    def from_domain(cls, a: models.Alert) -> Alert:
        return cls(alert_id=a.id, level=a.level, jurisdictions=a.jurisdictions, starts_at=a.starts_at,
                   ends_at=a.ends_at, source=a.source, status=a.status, version=a.version, issued_by=a.issued_by,
                   issued_at=a.issued_at, policy_version=a.policy_version, affected=a.affected,
                   history=[{k: str(v) for k, v in entry.items()} for entry in a.history])


@strawberry.type(description="What one enterprise must do while an alert is in force, and the rules behind it.")
class AlertMeasure:
    credit_code: str
    name: str
    jurisdiction: str
    measure: str
    reduction_pct: float
    rules: list[str]
    policy_version: str


@strawberry.input
class IssueAlertInput:
    level: str = strawberry.field(description="blue, yellow, orange or red")
    jurisdictions: list[str]
    starts_at: datetime
    ends_at: datetime
    source: str


@strawberry.input
class UpdateAlertInput:
    alert_id: str
    version: int
    level: str | None = strawberry.UNSET
    ends_at: datetime | None = strawberry.UNSET
    jurisdictions: list[str] | None = strawberry.UNSET


@strawberry.input
class LiftAlertInput:
    alert_id: str
    version: int
    reason: str


@strawberry.type
class AlertPayload:
    alert: Alert | None
    user_errors: list[UserError]


async def _payload(call: Any) -> AlertPayload:
    try:
        alert = await call
    except DomainError as exc:
        return AlertPayload(alert=None, user_errors=[UserError.from_domain(e) for e in exc.as_field_errors()])
    return AlertPayload(alert=Alert.from_domain(alert), user_errors=[])


@strawberry.input
class StaffAlertTasksInput:
    alert_id: str


@strawberry.type
class StaffAlertTasksPayload:
    staffed: int
    unstaffed: JSON = strawberry.field(description="credit code → why no team could be drawn")
    seed: str | None
    user_errors: list[UserError]


@strawberry.type
class AlertQuery:
    @strawberry.field(description="The verification tasks an alert created (one per halted or cut enterprise).")
    async def alert_tasks(self, info: Info[Context, None], alert_id: str) -> list[Task]:
        await info.context.services.alerts.get(info.context.viewer, alert_id)
        found = await info.context.services.plans.repository.targeted_of(alert_tasks.origin(alert_id))
        return [Task.from_domain(t) for t in sorted(found, key=lambda t: t.credit_code)]

    @strawberry.field(description="Alerts in the viewer's jurisdictions, newest first.")
    async def alerts(self, info: Info[Context, None]) -> list[Alert]:
        return [Alert.from_domain(a) for a in await info.context.services.alerts.list(info.context.viewer)]

    @strawberry.field(description="Each enterprise's measures under an alert, by credit code.")
    async def alert_measures(self, info: Info[Context, None], alert_id: str, first: int,
                             after: str | None = None) -> list[AlertMeasure]:
        rows = await info.context.services.alerts.measures(info.context.viewer, alert_id, first=first, after=after)
        return [AlertMeasure(credit_code=r["credit_code"], name=r["name"], jurisdiction=r["jurisdiction"],
                             measure=r["measure"], reduction_pct=r["reduction_pct"], rules=r["rules"],
                             policy_version=r["policy_version"]) for r in rows]

    @strawberry.field(description="The alert level a forecast of daily AQI calls for (DOMAIN rule 13).")
    def alert_level_from_forecast(self, daily_aqi: list[float]) -> str:
        return level_from_forecast(daily_aqi)


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Issue an alert; every affected enterprise's measures are computed and stored.")
    async def issue_alert(self, info: Info[Context, None], input: IssueAlertInput) -> AlertPayload:  # noqa: A002
        data = {"level": input.level, "jurisdictions": input.jurisdictions, "starts_at": input.starts_at,
                "ends_at": input.ends_at, "source": input.source}
        return await _payload(info.context.services.alerts.issue(info.context.viewer, data))

    @strawberry.mutation(description="Extend, upgrade or downgrade an alert; measures are recomputed.")
    async def update_alert(self, info: Info[Context, None], input: UpdateAlertInput) -> AlertPayload:  # noqa: A002
        changes = {name: getattr(input, name) for name in ("level", "ends_at", "jurisdictions")
                   if getattr(input, name) not in (strawberry.UNSET, None)}
        return await _payload(info.context.services.alerts.update(info.context.viewer, input.alert_id,
                                                                  version=input.version, changes=changes))

    @strawberry.mutation(description="Draw two certified inspectors at random for each unstaffed verification "
                                     "task of an alert.")
    async def staff_alert_tasks(self, info: Info[Context, None], input: StaffAlertTasksInput  # noqa: A002
                                ) -> StaffAlertTasksPayload:
        context = info.context
        try:
            alert = await context.services.alerts.get(context.viewer, input.alert_id)
            for jurisdiction in alert.jurisdictions:
                require_supervisor(context.viewer, jurisdiction)
        except DomainError as exc:
            return StaffAlertTasksPayload(staffed=0, unstaffed={}, seed=None,
                                          user_errors=[UserError.from_domain(e) for e in exc.as_field_errors()])
        done = await context.services.targeted.staff(context.viewer, alert_tasks.origin(alert.id))
        return StaffAlertTasksPayload(staffed=done["staffed"], unstaffed=done["unstaffed"], seed=done["seed"],
                                      user_errors=[])

    @strawberry.mutation(description="Lift an alert now, with a reason.")
    async def lift_alert(self, info: Info[Context, None], input: LiftAlertInput) -> AlertPayload:  # noqa: A002
        return await _payload(info.context.services.alerts.lift(info.context.viewer, input.alert_id,
                                                                version=input.version, reason=input.reason))
