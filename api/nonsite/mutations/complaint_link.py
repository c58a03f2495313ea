"""linkComplaint: name the enterprise of a complaint recorded without one; it gets its own targeted task."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import Complaint


@strawberry.input(description="The enterprise a complaint turned out to be about.")
class LinkComplaintInput:
    complaint_id: str
    credit_code: str


@strawberry.type
class LinkComplaintPayload:
    record: Complaint | None
    task_id: str | None = strawberry.field(description="The new targeted task for the enterprise.")
    user_errors: list[UserError]


async def link_complaint(info: Info[Context, None], input: LinkComplaintInput) -> LinkComplaintPayload:
    context = info.context
    return await payload(
        context.services.complaints.link_complaint(context.viewer, input.complaint_id, input.credit_code),
        ok=lambda doc: LinkComplaintPayload(record=Complaint.from_document(doc), task_id=doc.get("task_id"),
                                            user_errors=[]),
        refused=lambda errors: LinkComplaintPayload(record=None, task_id=None, user_errors=errors))
