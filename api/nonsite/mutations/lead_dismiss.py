"""dismissLead: close an open lead without a visit, with the reason."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.nonsite.types import LeadPayload


@strawberry.input
class DismissLeadInput:
    lead_id: str
    version: int
    reason: str


async def dismiss_lead(info: Info[Context, None], input: DismissLeadInput) -> LeadPayload:
    return await payload(info.context.services.leads.dismiss(info.context.viewer, input.lead_id,
                                                             version=input.version, reason=input.reason),
                         ok=LeadPayload.of, refused=lambda errors: LeadPayload.of(errors=errors))
