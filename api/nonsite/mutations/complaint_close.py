"""closeComplaint: close a complaint as founded (it counts in the enterprise's facts) or not."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import Complaint


@strawberry.input
class CloseComplaintInput:
    complaint_id: str
    founded: bool
    note: str = ""


@strawberry.type
class CloseComplaintPayload:
    record: Complaint | None
    replayed: bool
    task_id: str | None
    user_errors: list[UserError]


async def close_complaint(info: Info[Context, None], input: CloseComplaintInput) -> CloseComplaintPayload:
    context = info.context
    return await payload(
        context.services.complaints.close_and_report(context.viewer, input.complaint_id,
                                                     request_id=context.request_id, founded=input.founded,
                                                     note=input.note),
        ok=lambda doc: CloseComplaintPayload(record=Complaint.from_document(doc), replayed=False,
                                             task_id=doc.get("task_id"), user_errors=[]),
        refused=lambda errors: CloseComplaintPayload(record=None, replayed=False, task_id=None, user_errors=errors))
