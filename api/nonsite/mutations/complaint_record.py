"""recordComplaint: a complaint and its targeted task (the enterprise's, or an area task). Idempotent by id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import Complaint


@strawberry.input
class ComplaintInput:
    complaint_id: str
    channel: str = strawberry.field(description="12369, phone, web, wechat, weibo, email, letter, visit or media")
    received_at: datetime
    jurisdiction: str
    content: str
    credit_code: str | None = None
    lat: float | None = None
    lon: float | None = None


@strawberry.type
class RecordComplaintPayload:
    record: Complaint | None
    replayed: bool
    task_id: str | None
    user_errors: list[UserError]


def _recorded(done: tuple[dict[str, Any], bool]) -> RecordComplaintPayload:
    doc, created = done
    return RecordComplaintPayload(record=Complaint.from_document(doc), replayed=not created,
                                  task_id=doc.get("task_id"), user_errors=[])


async def record_complaint(info: Info[Context, None], input: ComplaintInput) -> RecordComplaintPayload:
    data: dict[str, Any] = {"id": input.complaint_id, "channel": input.channel, "received_at": input.received_at,
                            "jurisdiction": input.jurisdiction, "content": input.content,
                            "credit_code": input.credit_code}
    if input.lat is not None and input.lon is not None:
        data["place"] = {"lat": input.lat, "lon": input.lon}
    return await payload(
        info.context.services.complaints.record_complaint(info.context.viewer, data), ok=_recorded,
        refused=lambda errors: RecordComplaintPayload(record=None, replayed=False, task_id=None, user_errors=errors))
