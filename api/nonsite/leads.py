"""Leads GraphQL: record a power alert's lead on its enterprise, convert it to a task or dismiss it, list them."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from core.errors import DomainError
from core.nonsite import models


@strawberry.type(description="A clue (线索) from a non-site check, recorded on the enterprise. A positive-list "
                             "enterprise is visited on site only on a lead (or a complaint or assignment).")
class Lead:
    lead_id: str
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    source: str = strawberry.field(description="What found it: power_alert")
    source_id: str
    summary: str
    status: str = strawberry.field(description="open, converted (to taskId) or dismissed (with reason)")
    positive_list: bool = strawberry.field(description="The enterprise was on the positive list when recorded")
    task_id: str | None
    reason: str
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    version: int
    age_hours: float

    @classmethod
    def from_domain(cls, lead: models.Lead) -> Lead:
        created = lead.created_at if lead.created_at.tzinfo else lead.created_at.replace(tzinfo=UTC)
        closed = lead.closed_at.replace(tzinfo=UTC) if lead.closed_at and not lead.closed_at.tzinfo else lead.closed_at
        return cls(lead_id=lead.id, credit_code=lead.credit_code, enterprise_name=lead.enterprise_name,
                   jurisdiction=lead.jurisdiction, source=lead.source, source_id=lead.source_id,
                   summary=lead.summary, status=lead.status.value, positive_list=lead.positive_list,
                   task_id=lead.task_id, reason=lead.reason, created_by=lead.created_by, created_at=created,
                   closed_by=lead.closed_by, closed_at=closed, version=lead.version,
                   age_hours=round((datetime.now(UTC) - created).total_seconds() / 3600, 2))


@strawberry.type
class LeadPayload:
    lead: Lead | None
    replayed: bool = strawberry.field(description="The alert already had its lead: that one is returned")
    user_errors: list[UserError]


@strawberry.input
class CreatePowerAlertLeadInput:
    alert_id: str
    summary: str = strawberry.field(default="", description="What to look at; by default the anomaly itself")


@strawberry.input
class ConvertLeadInput:
    lead_id: str
    version: int


@strawberry.input
class DismissLeadInput:
    lead_id: str
    version: int
    reason: str


def _payload(lead: models.Lead | None = None, *, replayed: bool = False,
             exc: DomainError | None = None) -> LeadPayload:
    errors = [UserError.from_domain(e) for e in exc.as_field_errors()] if exc else []
    return LeadPayload(lead=Lead.from_domain(lead) if lead else None, replayed=replayed, user_errors=errors)


@strawberry.type
class LeadQuery:
    @strawberry.field(description="Leads in your jurisdictions, newest first (at most 200); by status "
                                  "(open, converted, dismissed) and enterprise.")
    async def leads(self, info: Info[Context, None], status: str | None = None,
                    credit_code: str | None = None) -> list[Lead]:
        found = await info.context.services.leads.list(
            info.context.viewer, status=status, credit_code=credit_code)
        return [Lead.from_domain(lead) for lead in found]


@strawberry.type
class LeadMutation:
    @strawberry.mutation(description="Record a power alert's lead on its enterprise (once per alert).")
    async def create_power_alert_lead(self, info: Info[Context, None],
                                      input: CreatePowerAlertLeadInput) -> LeadPayload:  # noqa: A002
        try:
            lead, created = await info.context.services.leads.record_for_alert(
                info.context.viewer, input.alert_id, summary=input.summary)
        except DomainError as exc:
            return _payload(exc=exc)
        return _payload(lead, replayed=not created)

    @strawberry.mutation(description="Turn an open lead into an on-site verification task (the alert's task).")
    async def convert_lead(self, info: Info[Context, None], input: ConvertLeadInput) -> LeadPayload:  # noqa: A002
        try:
            lead = await info.context.services.leads.convert(
                info.context.viewer, input.lead_id, version=input.version)
        except DomainError as exc:
            return _payload(exc=exc)
        return _payload(lead)

    @strawberry.mutation(description="Close an open lead without a visit, with the reason.")
    async def dismiss_lead(self, info: Info[Context, None], input: DismissLeadInput) -> LeadPayload:  # noqa: A002
        try:
            lead = await info.context.services.leads.dismiss(
                info.context.viewer, input.lead_id, version=input.version, reason=input.reason)
        except DomainError as exc:
            return _payload(exc=exc)
        return _payload(lead)
