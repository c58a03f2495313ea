"""Non-site supervision GraphQL: meters and readings, the anomaly scan, power alerts, complaints, hotspots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.fieldwork.types import plain
from api.graphql.relay import UserError
from api.inspections.types import Task
from core.errors import DomainError, FieldError, ValidationFailed
from core.nonsite import models, readings
from core.registry.sources import SourceRow
from rules.power_scan import scan

MAX_READINGS = 5000


def _errors(exc: DomainError) -> list[UserError]:
    return [UserError.from_domain(e) for e in exc.as_field_errors()]


def _row_errors(errors: list[readings.RowError]) -> list[UserError]:
    return [UserError.from_domain(FieldError(f"{e.row}.{e.field}", e.message, e.code)) for e in errors[:200]]


@strawberry.type(description="An electricity-usage anomaly to handle, verify with evidence and review.")
class PowerAlert:
    alert_id: str
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    kind: str
    severity: str
    starts_at: datetime
    ends_at: datetime
    minutes: int
    detail: JSON
    stage: str = strawberry.field(description="pushed, handled, fed_back, verified or reviewed (closed)")
    violation: bool | None
    verifier: str | None
    evidence: list[str]
    task_id: str | None
    lead_id: str | None = strawberry.field(description="The lead recorded on the enterprise from this alert")
    history: JSON
    version: int
    age_hours: float

    @classmethod
    def from_domain(cls, a: models.PowerAlert) -> PowerAlert:
        created = a.created_at if a.created_at.tzinfo else a.created_at.replace(tzinfo=UTC)
        return cls(alert_id=a.id, credit_code=a.credit_code, enterprise_name=a.enterprise_name,
                   jurisdiction=a.jurisdiction, kind=a.kind.value, severity=a.severity, starts_at=a.starts_at,
                   ends_at=a.ends_at, minutes=a.minutes, detail=plain(a.detail), stage=a.stage.value,
                   violation=a.violation, verifier=a.verifier, evidence=a.evidence, task_id=a.task_id,
                   lead_id=a.lead_id, history=plain(a.history), version=a.version,
                   age_hours=round((datetime.now(UTC) - created).total_seconds() / 3600, 2))


@strawberry.input
class MeterInput:
    meter_id: str
    credit_code: str
    role: str = strawberry.field(description="production, treatment or total")
    unit: str = ""
    rated_kw: float


@strawberry.input
class ReadingInput:
    meter: str
    timestamp: datetime
    kw: float | None = None
    kwh: float | None = None


@strawberry.type
class RegisterMetersPayload:
    inserted: int
    updated: int
    user_errors: list[UserError]


@strawberry.type
class IngestPayload:
    received: int
    accepted: int
    buckets_created: int
    buckets_changed: int
    user_errors: list[UserError] = strawberry.field(description="One per rejected row (field: <row>.<column>)")


@strawberry.input
class ScanInput:
    start: date
    days: int = 3
    jurisdiction: str | None = None


@strawberry.input
class AdvancePowerAlertInput:
    alert_id: str
    version: int
    action: str = strawberry.field(description="handle, feedback, verify or review")
    note: str = ""
    evidence: list[str] = strawberry.field(default_factory=list)
    violation: bool | None = None


@strawberry.type
class PowerAlertPayload:
    alert: PowerAlert | None
    user_errors: list[UserError]


@strawberry.input
class ComplaintInput:
    complaint_id: str
    channel: str = strawberry.field(description="12369, wechat, web, letter, visit or media")
    received_at: datetime
    jurisdiction: str
    content: str
    credit_code: str | None = None
    lat: float | None = None
    lon: float | None = None


@strawberry.input
class CloseComplaintInput:
    complaint_id: str
    founded: bool
    note: str = ""


@strawberry.input
class HotspotInput:
    cell_id: str
    date: date
    pm25: float
    jurisdiction: str


@strawberry.type
class RecordPayload:
    record: JSON | None
    replayed: bool
    task_id: str | None
    user_errors: list[UserError]


def _record_refused(exc: DomainError) -> RecordPayload:
    return RecordPayload(record=None, replayed=False, task_id=None, user_errors=_errors(exc))


def _ingest_refused(exc: DomainError) -> IngestPayload:
    return IngestPayload(received=0, accepted=0, buckets_created=0, buckets_changed=0, user_errors=_errors(exc))


def _power_payload(alert: models.PowerAlert | None = None, exc: DomainError | None = None) -> PowerAlertPayload:
    return PowerAlertPayload(alert=PowerAlert.from_domain(alert) if alert else None,
                             user_errors=_errors(exc) if exc else [])


@strawberry.input
class DroneFlightInput:
    flight_id: str = strawberry.field(description="A UUID you generate: the id and the idempotency key")
    jurisdiction: str
    format: str = strawberry.field(description="gpx or csv (time, lat, lon, alt)")
    track: str
    images: list[str] = strawberry.field(default_factory=list, description="Evidence ids of the flight's photos")
    task_id: str | None = None
    radius_m: float = 200.0


def _flight(doc: dict[str, Any]) -> Any:
    return plain({k: v for k, v in doc.items() if k not in ("jurisdiction_path", "track")})


@strawberry.type
class NonsiteQuery:
    @strawberry.field(description="A drone flight: the sites it passed, photos linked to enterprises, problems. "
                                  "The map preview is GET /flights/<id>/preview.png.")
    async def drone_flight(self, info: Info[Context, None], flight_id: str) -> JSON | None:
        try:
            return _flight(await info.context.services.drones.get(info.context.viewer,
                                                                                             flight_id))
        except DomainError:
            return None

    @strawberry.field(description="Power-usage alerts in your jurisdictions, newest first; open ones by default; "
                                  "one enterprise's history with creditCode.")
    async def power_alerts(self, info: Info[Context, None], open_only: bool = True,
                           credit_code: str | None = None) -> list[PowerAlert]:
        found = await info.context.services.power_alerts.list(
            info.context.viewer, open_only=open_only, credit_code=credit_code)
        return [PowerAlert.from_domain(a) for a in found]

    @strawberry.field(description="Runs of 15-minute slots without a reading, for one meter.")
    async def meter_gaps(self, info: Info[Context, None], meter_id: str, start: date, days: int = 1) -> JSON:
        found = await info.context.services.meters.gaps(info.context.viewer, meter_id, start, min(days, 31))
        return [{"from": a.isoformat(), "to": b.isoformat()} for a, b in found]

    @strawberry.field(description="Complaints in your jurisdictions and their handling status (supervisors).")
    async def complaints(self, info: Info[Context, None], status: str | None = None) -> JSON:
        found = await info.context.services.complaints.complaints(info.context.viewer, status=status)
        return plain([{k: v for k, v in d.items() if k != "jurisdiction_path"} for d in found])


@strawberry.type
class NonsiteMutation:
    @strawberry.mutation(description="Register or update sub-meters (production line, treatment facility, total).")
    async def register_meters(self, info: Info[Context, None], meters: list[MeterInput]) -> RegisterMetersPayload:
        rows = [{"meter_id": m.meter_id, "credit_code": m.credit_code, "role": m.role, "unit": m.unit,
                 "rated_kw": m.rated_kw} for m in meters]
        try:
            inserted, updated, errors = await info.context.services.meters.register(info.context.viewer, rows)
        except DomainError as exc:
            return RegisterMetersPayload(inserted=0, updated=0, user_errors=_errors(exc))
        return RegisterMetersPayload(inserted=inserted, updated=updated, user_errors=_row_errors(errors))

    @strawberry.mutation(description="A batch of meter readings (at most 5,000; bigger files: POST /meters/readings)."
                         " Idempotent on (meter, timestamp).")
    async def ingest_readings(self, info: Info[Context, None],
                              readings_: Annotated[list[ReadingInput], strawberry.argument(name="readings")]
                              ) -> IngestPayload:
        if len(readings_) > MAX_READINGS:
            exc = ValidationFailed([FieldError("readings", f"at most {MAX_READINGS} readings per call",
                                               "TOO_MANY_ROWS")])
            return _ingest_refused(exc)
        rows = [SourceRow(n, {"meter": r.meter, "timestamp": r.timestamp.isoformat(), "kw": r.kw, "kwh": r.kwh})
                for n, r in enumerate(readings_, start=1)]
        try:
            report = await info.context.services.meters.ingest(info.context.viewer, rows)
        except DomainError as exc:
            return _ingest_refused(exc)
        return IngestPayload(received=report.received, accepted=report.accepted,
                             buckets_created=report.buckets_created, buckets_changed=report.buckets_changed,
                             user_errors=_row_errors(report.errors))

    @strawberry.mutation(description="Scan the meters of a jurisdiction for anomalies over whole UTC days.")
    async def scan_power_usage(self, info: Info[Context, None], input: ScanInput) -> JSON:  # noqa: A002
        viewer = info.context.viewer
        scope = input.jurisdiction or (viewer.jurisdictions[0] if viewer.jurisdictions else "")
        if not viewer.covers(scope) or not 1 <= input.days <= 31:
            raise ValidationFailed([FieldError("input", "a jurisdiction you cover and 1-31 days", "INVALID_VALUE")])
        return await scan(info.context.services.registry.database, info.context.services.policies,
                          scopes=[scope], start=input.start, days=input.days)

    @strawberry.mutation(description="Move a power alert on: handle → feedback → verify (evidence and finding) "
                                     "→ review (closed). A violation found at verification counts as a case.")
    async def advance_power_alert(self, info: Info[Context, None], input: AdvancePowerAlertInput  # noqa: A002
                                  ) -> PowerAlertPayload:
        context = info.context
        try:
            alert = await context.services.power_alerts.advance_and_report(
                context.viewer, input.alert_id, request_id=context.request_id, version=input.version,
                action=input.action, note=input.note, evidence=input.evidence, violation=input.violation)
        except DomainError as exc:
            return _power_payload(exc=exc)
        return _power_payload(alert)

    @strawberry.mutation(description="A targeted verification task for a power alert's enterprise.")
    async def create_power_alert_task(self, info: Info[Context, None], alert_id: str) -> RecordPayload:
        try:
            task_id = await info.context.services.power_alerts.create_task(
                info.context.viewer, alert_id)
        except DomainError as exc:
            return _record_refused(exc)
        return RecordPayload(record={"alertId": alert_id}, replayed=False, task_id=task_id, user_errors=[])

    @strawberry.mutation(description="Draw two certified inspectors at random for each unstaffed targeted task of "
                                     "an origin (alert:<id>, power:<id>, complaint:<id>, hotspot:<cell>:<date>).")
    async def staff_targeted_tasks(self, info: Info[Context, None], origin: str) -> JSON:
        done = await info.context.services.targeted.staff(info.context.viewer, origin)
        return plain(done)

    @strawberry.mutation(description="Record a drone flight (GPX or CSV track, geotagged photos): the enterprises "
                                     "whose sites it passed and the photos inside them. Idempotent by id.")
    async def record_drone_flight(self, info: Info[Context, None], input: DroneFlightInput  # noqa: A002
                                  ) -> RecordPayload:
        data = {"id": input.flight_id, "jurisdiction": input.jurisdiction, "format": input.format,
                "track": input.track, "images": input.images, "task_id": input.task_id, "radius_m": input.radius_m}
        try:
            doc, created = await info.context.services.drones.record(info.context.viewer, data)
        except DomainError as exc:
            return _record_refused(exc)
        return RecordPayload(record=_flight(doc), replayed=not created, task_id=doc.get("task_id"), user_errors=[])

    @strawberry.mutation(description="Record a complaint; a known enterprise gets a targeted task. Idempotent by id.")
    async def record_complaint(self, info: Info[Context, None], input: ComplaintInput) -> RecordPayload:  # noqa: A002
        data: dict[str, Any] = {"id": input.complaint_id, "channel": input.channel, "received_at": input.received_at,
                                "jurisdiction": input.jurisdiction, "content": input.content,
                                "credit_code": input.credit_code}
        if input.lat is not None and input.lon is not None:
            data["place"] = {"lat": input.lat, "lon": input.lon}
        try:
            doc, created = await info.context.services.complaints.record_complaint(info.context.viewer, data)
        except DomainError as exc:
            return _record_refused(exc)
        return RecordPayload(record=plain({k: v for k, v in doc.items() if k != "jurisdiction_path"}),
                             replayed=not created, task_id=doc.get("task_id"), user_errors=[])

    @strawberry.mutation(description="Close a complaint as founded (it counts in the enterprise's facts) or not.")
    async def close_complaint(self, info: Info[Context, None], input: CloseComplaintInput  # noqa: A002
                              ) -> RecordPayload:
        context = info.context
        try:
            doc = await context.services.complaints.close_complaint(context.viewer, input.complaint_id,
                                                                    founded=input.founded, note=input.note)
        except DomainError as exc:
            return _record_refused(exc)
        if input.founded and doc.get("credit_code"):
            await context.services.events.record_verified(
                context.viewer.username or "", credit_code=doc["credit_code"], kind="complaint_verified",
                reference=f"complaint:{doc['_id']}", description=str(doc["content"])[:500], key=doc["_id"],
                request_id=context.request_id, source="nonsite")
        return RecordPayload(record=plain({k: v for k, v in doc.items() if k != "jurisdiction_path"}),
                             replayed=False, task_id=doc.get("task_id"), user_errors=[])

    @strawberry.mutation(description="A hotspot-grid alert (3 km cell, PM2.5, date) and its grid-level task.")
    async def record_hotspot_alert(self, info: Info[Context, None], input: HotspotInput  # noqa: A002
                                   ) -> RecordPayload:
        data = {"cell_id": input.cell_id, "date": input.date, "pm25": input.pm25, "jurisdiction": input.jurisdiction}
        try:
            doc, created = await info.context.services.complaints.record_hotspot(info.context.viewer, data)
        except DomainError as exc:
            return _record_refused(exc)
        return RecordPayload(record=plain({k: v for k, v in doc.items() if k != "jurisdiction_path"}),
                             replayed=not created, task_id=doc.get("task_id"), user_errors=[])


__all__ = ["NonsiteMutation", "NonsiteQuery", "Task"]
