"""createPowerAlertLead: record a power alert's lead on its enterprise (once per alert)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.nonsite.types import LeadPayload
from core.nonsite.models import Lead


@strawberry.input
class CreatePowerAlertLeadInput:
    alert_id: str
    summary: str = strawberry.field(default="", description="What to look at; by default the anomaly itself")


def _recorded(done: tuple[Lead, bool]) -> LeadPayload:
    lead, created = done
    return LeadPayload.of(lead, replayed=not created)


async def create_power_alert_lead(info: Info[Context, None],
                                  input: CreatePowerAlertLeadInput
                                  ) -> LeadPayload:
    return await payload(info.context.services.leads.record_for_alert(info.context.viewer, input.alert_id,
                                                                      summary=input.summary),
                         ok=_recorded,
                         refused=lambda errors: LeadPayload.of(errors=errors))
