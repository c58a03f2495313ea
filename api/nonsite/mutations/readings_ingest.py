"""ingestReadings: a batch of meter readings, idempotent on (meter, timestamp)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import row_errors
from core.error_codes import ErrorCode
from core.errors import FieldError
from core.nonsite.readings import IngestReport
from core.registry.sources import SourceRow

MAX_READINGS = 5000  # bigger files go through POST /meters/readings


@strawberry.input
class ReadingInput:
    meter: str
    timestamp: datetime
    kw: float | None = None
    kwh: float | None = None


@strawberry.type
class IngestPayload:
    received: int
    accepted: int
    buckets_created: int
    buckets_changed: int
    user_errors: list[UserError] = strawberry.field(description="One per rejected row (field: <row>.<column>)")


def _refused(errors: list[UserError]) -> IngestPayload:
    return IngestPayload(received=0, accepted=0, buckets_created=0, buckets_changed=0, user_errors=errors)


def _ingested(report: IngestReport) -> IngestPayload:
    return IngestPayload(received=report.received, accepted=report.accepted,
                         buckets_created=report.buckets_created, buckets_changed=report.buckets_changed,
                         user_errors=row_errors(report.errors))


async def ingest_readings(info: Info[Context, None],
                          readings_: Annotated[list[ReadingInput], strawberry.argument(name="readings")]
                          ) -> IngestPayload:
    if len(readings_) > MAX_READINGS:
        too_many = FieldError("readings", f"at most {MAX_READINGS} readings per call", ErrorCode.TOO_MANY_ROWS)
        return _refused([UserError.from_domain(too_many)])
    rows = [SourceRow(n, {"meter": r.meter, "timestamp": r.timestamp.isoformat(), "kw": r.kw, "kwh": r.kwh})
            for n, r in enumerate(readings_, start=1)]
    return await payload(info.context.services.meters.ingest(info.context.viewer, rows), ok=_ingested,
                         refused=_refused)
