"""createPowerAlertLead: record a power alert's lead on its enterprise (once per alert)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.nonsite.types import LeadPayload
from core.errors import DomainError


@strawberry.input
class CreatePowerAlertLeadInput:
    alert_id: str
    summary: str = strawberry.field(default="", description="What to look at; by default the anomaly itself")


async def create_power_alert_lead(info: Info[Context, None],
                                  input: CreatePowerAlertLeadInput
                                  ) -> LeadPayload:
    try:
        lead, created = await info.context.services.leads.record_for_alert(
            info.context.viewer, input.alert_id, summary=input.summary)
    except DomainError as exc:
        return LeadPayload.of(exc=exc)
    return LeadPayload.of(lead, replayed=not created)
