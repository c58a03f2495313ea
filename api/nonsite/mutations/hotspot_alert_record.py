"""recordHotspotAlert: a hotspot-grid alert (3 km cell, PM2.5, date) and its grid-level task."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import HotspotAlert


@strawberry.input
class HotspotInput:
    cell_id: str
    date: date
    pm25: float
    jurisdiction: str


@strawberry.type
class RecordHotspotAlertPayload:
    record: HotspotAlert | None
    replayed: bool
    task_id: str | None
    user_errors: list[UserError]


def _recorded(done: tuple[dict[str, Any], bool]) -> RecordHotspotAlertPayload:
    doc, created = done
    return RecordHotspotAlertPayload(record=HotspotAlert.from_document(doc), replayed=not created,
                                     task_id=doc.get("task_id"), user_errors=[])


async def record_hotspot_alert(info: Info[Context, None], input: HotspotInput) -> RecordHotspotAlertPayload:
    data = {"cell_id": input.cell_id, "date": input.date, "pm25": input.pm25, "jurisdiction": input.jurisdiction}
    return await payload(
        info.context.services.complaints.record_hotspot(info.context.viewer, data), ok=_recorded,
        refused=lambda errors: RecordHotspotAlertPayload(record=None, replayed=False, task_id=None,
                                                         user_errors=errors))
