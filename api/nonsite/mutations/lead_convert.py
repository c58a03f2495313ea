"""convertLead: turn an open lead into an on-site verification task (the alert's task)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.nonsite.types import LeadPayload


@strawberry.input
class ConvertLeadInput:
    lead_id: str
    version: int


async def convert_lead(info: Info[Context, None], input: ConvertLeadInput) -> LeadPayload:
    return await payload(info.context.services.leads.convert(info.context.viewer, input.lead_id,
                                                             version=input.version),
                         ok=LeadPayload.of, refused=lambda errors: LeadPayload.of(errors=errors))
