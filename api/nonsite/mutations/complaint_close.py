"""closeComplaint: close a complaint as founded (it counts in the enterprise's facts) or not."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError, user_errors
from api.nonsite.types import Complaint
from core.errors import DomainError


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
    try:
        doc = await context.services.complaints.close_and_report(
            context.viewer, input.complaint_id, request_id=context.request_id, founded=input.founded,
            note=input.note)
    except DomainError as exc:
        return CloseComplaintPayload(record=None, replayed=False, task_id=None, user_errors=user_errors(exc))
    return CloseComplaintPayload(record=Complaint.from_document(doc), replayed=False, task_id=doc.get("task_id"),
                                 user_errors=[])
