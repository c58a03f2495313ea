"""Drone flights as evidence: which enterprises' sites the track passed and which photos fall inside them.

The track is a GPX or CSV log (sent with the request or uploaded as evidence); photos are evidence
whose EXIF GPS was read at upload. Sites are the enterprises' boundaries, or a radius around their
location when no boundary is known. Bad rows and photos without GPS are reported, never dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import FIELD_STAFF
from core.db import Database
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.fieldwork.models import UUID_PATTERN
from core.nonsite import flights
from core.nonsite.flight_map import render_preview
from core.nonsite.repository import MeterRepository
from core.reference import tables
from core.registry.rows import field_errors

MAX_TRACK_BYTES = 5 * 1024 * 1024


class FlightData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=UUID_PATTERN)
    jurisdiction: str
    format: str = Field(pattern="^(gpx|csv)$")
    track: str = Field(min_length=1, max_length=MAX_TRACK_BYTES)
    images: list[str] = Field(default_factory=list, max_length=2000)  # evidence ids of the flight's photos
    task_id: str | None = None
    radius_m: float = Field(default=flights.DEFAULT_RADIUS_M, gt=0, le=5000)


def _sites(docs: list[dict[str, Any]], radius_m: float) -> list[flights.Site]:
    sites = []
    for doc in docs:
        if doc.get("boundary") or doc.get("location"):
            sites.append(flights.Site.from_geojson(doc["credit_code"], doc["name"], boundary=doc.get("boundary"),
                                                   location=doc.get("location"), radius_m=radius_m))
    return sites


class DroneService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = MeterRepository(database)

    async def record(self, viewer: Viewer, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        if not viewer.has_any(FIELD_STAFF):
            raise PermissionDenied("drone flights are recorded by enforcement staff")
        try:
            flight = FlightData.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc, {})) from None
        if flight.jurisdiction not in tables.divisions() or not viewer.covers(flight.jurisdiction):
            raise NotFound(f"jurisdiction {flight.jurisdiction} not found", field="jurisdiction")
        stored = await self.repository.flight(flight.id)
        if stored is not None:
            if stored["track"] != flight.track or stored["images"] != flight.images:
                raise Conflict(f"flight {flight.id} exists with other content", code="ID_CONFLICT", field="id")
            return stored, False
        fmt: Literal["gpx", "csv"] = "gpx" if flight.format == "gpx" else "csv"  # the field's pattern allows these two
        parsed = flights.parse_track(flight.track.encode(), fmt=fmt)
        if not parsed.points:
            raise ValidationFailed([FieldError("track", "; ".join(p.message for p in parsed.problems[:5]) or
                                               "no track points", "MALFORMED_TRACK")])
        sites = _sites(await self.repository.sites_near(flight.jurisdiction, parsed.points, flight.radius_m),
                       flight.radius_m)
        passes = flights.sites_passed(parsed, sites)
        passed = {p.credit_code for p in passes}
        photos = await self.repository.photo_positions(flight.images)
        images = flights.images_inside([flights.FlightImage(e, *photos.get(e, (None, None, None)))
                                        for e in flight.images], [s for s in sites if s.credit_code in passed])
        doc = {"_id": flight.id, **flight.model_dump(exclude={"id"}), "recorded_by": viewer.username,
               "recorded_at": datetime.now(UTC), "jurisdiction_path": tables.ancestors(flight.jurisdiction),
               "points": len(parsed.points), "started_at": parsed.points[0].time, "ended_at": parsed.points[-1].time,
               "passes": [{"credit_code": p.credit_code, "name": p.name, "first_inside": p.first_inside,
                           "last_inside": p.last_inside, "distance_inside_m": round(p.distance_inside_m, 1),
                           "by_radius": p.by_radius} for p in passes],
               "image_links": images.links,
               "problems": [{"row": p.row, "code": p.code, "message": p.message, "kept": p.kept}
                            for p in parsed.problems] + [{"evidence_id": p.evidence_id, "code": p.code,
                                                          "message": p.message} for p in images.problems]}
        created = await self.repository.insert_flight(doc)
        return (doc, True) if created else (await self.repository.flight(flight.id) or doc, False)

    async def get(self, viewer: Viewer, flight_id: str) -> dict[str, Any]:
        doc = await self.repository.flight(flight_id)
        if doc is None or not viewer.has_any(FIELD_STAFF) or not viewer.covers(doc["jurisdiction"]):
            raise NotFound(f"flight {flight_id} not found", field="flightId")
        return doc

    async def preview(self, viewer: Viewer, flight_id: str, *, render: Any = None) -> bytes:
        """The PNG map of a flight the viewer may see (``get``, then ``preview_of``)."""
        return await self.preview_of(await self.get(viewer, flight_id), render=render)

    async def preview_of(self, doc: dict[str, Any], *, render: Any = None) -> bytes:
        """The PNG map of a flight the caller may see; ``render`` runs the drawing (e.g. in a thread)."""
        parsed = flights.parse_track(doc["track"].encode(), fmt=doc["format"])
        sites = _sites(await self.repository.sites_near(doc["jurisdiction"], parsed.points, doc["radius_m"]),
                       doc["radius_m"])
        photos = await self.repository.photo_positions(doc["images"])
        images = [flights.FlightImage(e, *photos.get(e, (None, None, None))) for e in doc["images"]]
        if render is None:
            return render_preview(parsed, sites, images)
        return bytes(await render(render_preview, parsed, sites, images))
