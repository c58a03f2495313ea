"""dismissLead: close an open lead without a visit, with the reason."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.nonsite.types import LeadPayload
from core.errors import DomainError


@strawberry.input
class DismissLeadInput:
    lead_id: str
    version: int
    reason: str


async def dismiss_lead(info: Info[Context, None], input: DismissLeadInput) -> LeadPayload:
    try:
        lead = await info.context.services.leads.dismiss(info.context.viewer, input.lead_id, version=input.version,
                                                         reason=input.reason)
    except DomainError as exc:
        return LeadPayload.of(exc=exc)
    return LeadPayload.of(lead)
