"""recordDroneFlight: a drone flight's track and photos, with the sites it passed. Idempotent by id."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.nonsite.types import DroneFlight


@strawberry.input
class DroneFlightInput:
    flight_id: str = strawberry.field(description="A UUID you generate: the id and the idempotency key")
    jurisdiction: str
    format: str = strawberry.field(description="gpx or csv (time, lat, lon, alt)")
    track: str
    images: list[str] = strawberry.field(default_factory=list, description="Evidence ids of the flight's photos")
    task_id: str | None = None
    radius_m: float = 200.0


@strawberry.type
class RecordDroneFlightPayload:
    record: DroneFlight | None
    replayed: bool
    task_id: str | None
    user_errors: list[UserError]


def _recorded(done: tuple[dict[str, Any], bool]) -> RecordDroneFlightPayload:
    doc, created = done
    return RecordDroneFlightPayload(record=DroneFlight.from_document(doc), replayed=not created,
                                    task_id=doc.get("task_id"), user_errors=[])


async def record_drone_flight(info: Info[Context, None], input: DroneFlightInput) -> RecordDroneFlightPayload:
    data = {"id": input.flight_id, "jurisdiction": input.jurisdiction, "format": input.format,
            "track": input.track, "images": input.images, "task_id": input.task_id, "radius_m": input.radius_m}
    return await payload(
        info.context.services.drones.record(info.context.viewer, data), ok=_recorded,
        refused=lambda errors: RecordDroneFlightPayload(record=None, replayed=False, task_id=None,
                                                        user_errors=errors))
