"""Thin GraphQL types for non-site records: power alerts, leads, meter gaps, complaints, hotspots, drone flights."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.fieldwork.types import plain
from api.graphql.relay import Node, UserError, to_global_id
from api.registry.types import GeoPoint
from core.errors import FieldError
from core.nonsite import models, readings


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _age_hours(created: datetime) -> float:
    return round((datetime.now(UTC) - created).total_seconds() / 3600, 2)


def _point(found: dict[str, Any] | None) -> GeoPoint | None:
    return GeoPoint(lat=found["lat"], lon=found["lon"], accuracy_m=found.get("accuracy_m")) if found else None


def row_errors(errors: list[readings.RowError]) -> list[UserError]:
    """The first 200 rejected rows of a meter file, each as ``<row>.<column>``."""
    return [UserError.from_domain(FieldError(f"{e.row}.{e.field}", e.message, e.code)) for e in errors[:200]]


@strawberry.type(description="One step of a power alert's handling.")
class PowerAlertStep:
    at: datetime
    actor: str
    action: str = strawberry.field(description="push, handle, feedback, verify or review")
    note: str | None

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> PowerAlertStep:
        return cls(at=d["at"], actor=str(d.get("actor") or ""), action=d["action"], note=d.get("note"))


@strawberry.type(description="An electricity-usage anomaly to handle, verify with evidence and review.")
class PowerAlert(Node):
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
    history: list[PowerAlertStep]
    version: int
    age_hours: float

    @classmethod
    def from_domain(cls, a: models.PowerAlert) -> PowerAlert:
        return cls(id=to_global_id("PowerAlert", a.id),
                   alert_id=a.id, credit_code=a.credit_code, enterprise_name=a.enterprise_name,
                   jurisdiction=a.jurisdiction, kind=a.kind.value, severity=a.severity, starts_at=a.starts_at,
                   ends_at=a.ends_at, minutes=a.minutes, detail=plain(a.detail), stage=a.stage.value,
                   violation=a.violation, verifier=a.verifier, evidence=a.evidence, task_id=a.task_id,
                   lead_id=a.lead_id, history=[PowerAlertStep.from_document(h) for h in a.history],
                   version=a.version, age_hours=_age_hours(_utc(a.created_at)))


@strawberry.type
class PowerAlertPayload:
    alert: PowerAlert | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, alert: models.PowerAlert | None = None, errors: list[UserError] | None = None) -> PowerAlertPayload:
        return cls(alert=PowerAlert.from_domain(alert) if alert else None, user_errors=errors or [])


@strawberry.type(description="A clue (线索) from a non-site check, recorded on the enterprise. A positive-list "
                             "enterprise is visited on site only on a lead (or a complaint or assignment).")
class Lead(Node):
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
        created = _utc(lead.created_at)
        return cls(id=to_global_id("Lead", lead.id),
                   lead_id=lead.id, credit_code=lead.credit_code, enterprise_name=lead.enterprise_name,
                   jurisdiction=lead.jurisdiction, source=lead.source, source_id=lead.source_id,
                   summary=lead.summary, status=lead.status.value, positive_list=lead.positive_list,
                   task_id=lead.task_id, reason=lead.reason, created_by=lead.created_by, created_at=created,
                   closed_by=lead.closed_by, closed_at=_utc(lead.closed_at) if lead.closed_at else None,
                   version=lead.version, age_hours=_age_hours(created))


@strawberry.type
class LeadPayload:
    lead: Lead | None
    replayed: bool = strawberry.field(description="The alert already had its lead: that one is returned")
    user_errors: list[UserError]

    @classmethod
    def of(cls, lead: models.Lead | None = None, *, replayed: bool = False,
           errors: list[UserError] | None = None) -> LeadPayload:
        return cls(lead=Lead.from_domain(lead) if lead else None, replayed=replayed, user_errors=errors or [])


@strawberry.type(description="A run of 15-minute slots without a reading.")
class MeterGap:
    start: datetime = strawberry.field(name="from")
    end: datetime = strawberry.field(name="to")


@strawberry.type(description="What a scan of the meters found.")
class PowerUsageScan:
    enterprises: int
    anomalies: int
    created: int = strawberry.field(description="New power alerts (an anomaly found before is not stored twice)")
    policy_version: str | None = strawberry.field(description="The electricity-trigger policy version used")

    @classmethod
    def from_result(cls, found: dict[str, Any]) -> PowerUsageScan:
        return cls(enterprises=found["enterprises"], anomalies=found["anomalies"], created=found["created"],
                   policy_version=found.get("policy_version"))


@strawberry.type(description="Teams drawn for the unstaffed targeted tasks of an origin.")
class TargetedStaffing:
    staffed: int
    unstaffed: JSON = strawberry.field(description="credit code → why no team could be drawn")
    seed: str | None = strawberry.field(description="The random seed of the draw (64 hex digits)")

    @classmethod
    def from_result(cls, found: dict[str, Any]) -> TargetedStaffing:
        return cls(staffed=found["staffed"], unstaffed=plain(found["unstaffed"]), seed=found["seed"])


@strawberry.type(description="A complaint (12369, WeChat, …) and its handling.")
class Complaint(Node):
    complaint_id: str
    channel: str
    received_at: datetime
    jurisdiction: str
    content: str
    place: GeoPoint | None
    credit_code: str | None
    status: str = strawberry.field(description="received, founded or unfounded")
    recorded_by: str
    task_id: str | None
    note: str | None
    closed_by: str | None
    closed_at: datetime | None
    due_on: date | None = strawberry.field(description="When handling is due (ECOINSPECT_COMPLAINT_HANDLING_DAYS).")
    area_task_id: str | None = strawberry.field(description="The area task, when the enterprise was named later.")
    linked_by: str | None

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> Complaint:
        return cls(id=to_global_id("Complaint", d["_id"]),
                   complaint_id=d["_id"], channel=d["channel"], received_at=d["received_at"],
                   jurisdiction=d["jurisdiction"], content=d["content"], place=_point(d.get("place")),
                   credit_code=d.get("credit_code"), status=d["status"], recorded_by=str(d.get("recorded_by") or ""),
                   task_id=d.get("task_id"), note=d.get("note"), closed_by=d.get("closed_by"),
                   closed_at=d.get("closed_at"), due_on=date.fromisoformat(d["due_on"]) if d.get("due_on") else None,
                   area_task_id=d.get("area_task_id"), linked_by=d.get("linked_by"))


@strawberry.type(description="A hotspot-grid alert: a 3 km cell's PM2.5 on a day, with its grid-level task.")
class HotspotAlert(Node):
    hotspot_id: str = strawberry.field(description="<cellId>:<date>")
    cell_id: str
    date: date
    pm25: float
    jurisdiction: str
    centre: GeoPoint | None
    task_id: str
    recorded_by: str
    at: datetime

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> HotspotAlert:
        day = d["date"] if isinstance(d["date"], date) else date.fromisoformat(d["date"])
        return cls(id=to_global_id("HotspotAlert", d["_id"]),
                   hotspot_id=d["_id"], cell_id=d["cell_id"], date=day, pm25=d["pm25"],
                   jurisdiction=d["jurisdiction"], centre=_point(d.get("centre")), task_id=d["task_id"],
                   recorded_by=str(d.get("recorded_by") or ""), at=d["at"])


@strawberry.type(description="An enterprise's site that a drone flight passed.")
class FlightPass:
    credit_code: str
    name: str
    first_inside: datetime
    last_inside: datetime
    distance_inside_m: float
    by_radius: bool = strawberry.field(description="No boundary known: the site is a radius around its location")


@strawberry.type(description="A track row or a photo that could not be used as it was.")
class FlightProblem:
    code: str
    message: str
    row: int | None = strawberry.field(description="The track row (track problems)")
    kept: bool | None = strawberry.field(description="The point is still in the track (track problems)")
    evidence_id: str | None = strawberry.field(description="The photo (image problems)")


@strawberry.type(description="A drone flight: the sites it passed, photos linked to enterprises, problems.")
class DroneFlight(Node):
    flight_id: str
    jurisdiction: str
    format: str
    images: list[str] = strawberry.field(description="Evidence ids of the flight's photos")
    task_id: str | None
    radius_m: float
    recorded_by: str
    recorded_at: datetime
    points: int
    started_at: datetime
    ended_at: datetime
    passes: list[FlightPass]
    image_links: JSON = strawberry.field(description="evidence id → credit codes of the sites it was taken inside")
    problems: list[FlightProblem]

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> DroneFlight:
        return cls(
            id=to_global_id("DroneFlight", d["_id"]),
            flight_id=d["_id"], jurisdiction=d["jurisdiction"], format=d["format"], images=list(d["images"]),
            task_id=d.get("task_id"), radius_m=d["radius_m"], recorded_by=str(d.get("recorded_by") or ""),
            recorded_at=d["recorded_at"], points=d["points"], started_at=d["started_at"], ended_at=d["ended_at"],
            passes=[FlightPass(credit_code=p["credit_code"], name=p["name"], first_inside=p["first_inside"],
                               last_inside=p["last_inside"], distance_inside_m=p["distance_inside_m"],
                               by_radius=p["by_radius"]) for p in d["passes"]],
            image_links=plain(d["image_links"]),
            problems=[FlightProblem(code=p["code"], message=p["message"], row=p.get("row"), kept=p.get("kept"),
                                    evidence_id=p.get("evidence_id")) for p in d["problems"]])


@strawberry.type(description="The power alert a verification task was created for.")
class PowerAlertRef:
    alert_id: str
