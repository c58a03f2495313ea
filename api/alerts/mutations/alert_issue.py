"""issueAlert: issue a heavy-pollution alert; every affected enterprise's measures are computed and stored."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.alerts.types import AlertPayload, alert_payload
from api.context import Context


@strawberry.input
class IssueAlertInput:
    level: str = strawberry.field(description="blue, yellow, orange or red")
    jurisdictions: list[str]
    starts_at: datetime
    ends_at: datetime
    source: str


def issue_data(input: IssueAlertInput) -> dict[str, object]:
    return {"level": input.level, "jurisdictions": input.jurisdictions, "starts_at": input.starts_at,
            "ends_at": input.ends_at, "source": input.source}


async def issue_alert(info: Info[Context, None], input: IssueAlertInput) -> AlertPayload:
    return await alert_payload(info.context.services.alerts.issue(info.context.viewer, issue_data(input)))
