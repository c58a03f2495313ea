"""advancePowerAlert: handle → feedback → verify (evidence and finding) → review (closed)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.nonsite.types import PowerAlertPayload


@strawberry.input
class AdvancePowerAlertInput:
    alert_id: str
    version: int
    action: str = strawberry.field(description="handle, feedback, verify or review")
    note: str = ""
    evidence: list[str] = strawberry.field(default_factory=list)
    violation: bool | None = None


async def advance_power_alert(info: Info[Context, None], input: AdvancePowerAlertInput) -> PowerAlertPayload:
    context = info.context
    return await payload(
        context.services.power_alerts.advance_and_report(
            context.viewer, input.alert_id, request_id=context.request_id, version=input.version,
            action=input.action, note=input.note, evidence=input.evidence, violation=input.violation),
        ok=PowerAlertPayload.of, refused=lambda errors: PowerAlertPayload.of(errors=errors))
