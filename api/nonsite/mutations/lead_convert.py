"""convertLead: turn an open lead into an on-site verification task (the alert's task)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.nonsite.types import LeadPayload
from core.errors import DomainError


@strawberry.input
class ConvertLeadInput:
    lead_id: str
    version: int


async def convert_lead(info: Info[Context, None], input: ConvertLeadInput) -> LeadPayload:
    try:
        lead = await info.context.services.leads.convert(info.context.viewer, input.lead_id, version=input.version)
    except DomainError as exc:
        return LeadPayload.of(exc=exc)
    return LeadPayload.of(lead)
