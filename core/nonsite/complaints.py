"""Complaints (12369 and other channels) and hotspot-grid alerts: each becomes a targeted task.

Targeted tasks stay apart from double-random ones (no plan, their own kind). A complaint verified
as founded counts in the enterprise's facts: ``close_and_report`` hands it to the ``on_founded``
hook injected at assembly (a ``complaint_verified`` event, so that the policies decide again).
Hotspot tasks are grid-level: they record the problems and sources found, not a penalty (DOMAIN rule 20).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.db import Database, is_duplicate_key
from core.device import UUID_PATTERN, GeoPoint
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from core.inspections.models import TaskKind
from core.inspections.repository import InspectionRepository
from core.inspections.targeted import targeted_task
from core.nonsite.repository import MeterRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository
from core.registry.rows import field_errors

# A complaint closed as founded about a known enterprise: (complaint, closer, request id). Injected at assembly.
OnFounded = Callable[[dict[str, Any], str, str], Awaitable[None]]


class ComplaintData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=UUID_PATTERN)
    channel: Literal["12369", "phone", "web", "wechat", "weibo", "email", "letter", "visit", "media"]
    received_at: datetime
    jurisdiction: str
    content: str = Field(min_length=1, max_length=5000)
    place: GeoPoint | None = None
    credit_code: str | None = Field(default=None, min_length=18, max_length=18)


class HotspotData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cell_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")  # the 3 km × 3 km cell
    date: date
    pm25: float = Field(ge=0, le=5000)  # µg/m³
    jurisdiction: str
    centre: GeoPoint | None = None


Parsed = TypeVar("Parsed", ComplaintData, HotspotData)


def _parse(model: type[Parsed], data: dict[str, Any]) -> Parsed:
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None
    if parsed.jurisdiction not in tables.divisions():
        raise ValidationFailed([FieldError("jurisdiction", "unknown jurisdiction", ErrorCode.UNKNOWN_JURISDICTION)])
    return parsed


class ComplaintService:
    def __init__(self, database: Database, *, on_founded: OnFounded | None = None, handling_days: int = 60) -> None:
        self.database = database
        self.on_founded = on_founded
        self.handling_days = handling_days  # a complaint is due this many days after it was received
        self.tasks = InspectionRepository(database)
        self.repository = MeterRepository(database)

    def _require(self, viewer: Viewer, jurisdiction: str) -> None:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors record complaints and hotspot alerts")
        if not viewer.covers(jurisdiction):
            raise PermissionDenied(f"jurisdiction {jurisdiction} is outside your scope")

    async def record_complaint(self, viewer: Viewer, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a complaint (idempotent by its id) and, when the enterprise is known, a targeted task."""
        complaint = _parse(ComplaintData, data)
        self._require(viewer, complaint.jurisdiction)
        name, task_jurisdiction = "", complaint.jurisdiction
        if complaint.credit_code:
            enterprise = (await EnterpriseRepository(self.database).by_codes([complaint.credit_code])).get(
                complaint.credit_code)
            if enterprise is None or not viewer.covers(enterprise.jurisdiction):
                raise NotFound(f"enterprise {complaint.credit_code} not found", field="creditCode")
            name, task_jurisdiction = enterprise.name, enterprise.jurisdiction  # inspected where it is
        due = complaint.received_at.date() + timedelta(days=self.handling_days)
        doc = {"_id": complaint.id, **complaint.model_dump(mode="json", exclude={"id", "received_at"}),
               "received_at": complaint.received_at, "status": "received", "recorded_by": viewer.username,
               "jurisdiction_path": tables.ancestors(complaint.jurisdiction), "task_id": None,
               "due_on": due.isoformat()}
        # Without an identified enterprise the task is an area task at the complaint's place (like a hotspot
        # cell's): whoever goes there finds the source, and the complaint is linked to it afterwards.
        task = targeted_task(kind=TaskKind.COMPLAINT.value, origin=f"complaint:{complaint.id}",
                             credit_code=complaint.credit_code or "", name=name or f"投诉区域 {complaint.jurisdiction}",
                             jurisdiction=task_jurisdiction,
                             target={"complaint": complaint.id, "channel": complaint.channel,
                                     "content": complaint.content[:500],
                                     "place": complaint.place.model_dump() if complaint.place else None})
        doc["task_id"] = task.id
        try:
            async def store(session: Any) -> None:
                await self.repository.insert_complaint(doc, session=session)
                await self.tasks.insert_targeted([task], session=session)

            await self.database.transaction(store)
        except Exception as exc:  # the unique id decided: compare with what was stored
            if not is_duplicate_key(exc):
                raise
            stored = await self.repository.complaint(complaint.id)
            sent = complaint.model_dump(mode="json", exclude={"id", "received_at"})
            if stored is None or not all(stored.get(k) == v for k, v in sent.items()):
                raise Conflict(f"complaint {complaint.id} exists with different content", code=ErrorCode.ID_CONFLICT,
                               field="id") from None
            return stored, False
        return doc, True

    async def close_complaint(self, viewer: Viewer, complaint_id: str, *, founded: bool, note: str) -> dict[str, Any]:
        doc = await self.repository.complaint(complaint_id)
        if doc is None or not viewer.covers(doc["jurisdiction"]):
            raise NotFound(f"complaint {complaint_id} not found", field="complaintId")
        self._require(viewer, doc["jurisdiction"])
        status = "founded" if founded else "unfounded"
        changed = await self.repository.close_complaint(complaint_id, {
            "status": status, "note": note, "closed_by": viewer.username, "closed_at": datetime.now(UTC)})
        if changed is None:
            raise Conflict(f"complaint {complaint_id} is already {doc['status']}", code=ErrorCode.ALREADY_CLOSED)
        return dict(changed)

    async def close_and_report(self, viewer: Viewer, complaint_id: str, *, request_id: str, founded: bool,
                               note: str) -> dict[str, Any]:
        """``close_complaint``, then a founded complaint about a known enterprise goes to the injected hook."""
        doc = await self.close_complaint(viewer, complaint_id, founded=founded, note=note)
        if founded and doc.get("credit_code") and self.on_founded is not None:
            await self.on_founded(doc, viewer.username or "", request_id)
        return doc

    async def link_complaint(self, viewer: Viewer, complaint_id: str, credit_code: str) -> dict[str, Any]:
        """Name the enterprise of a complaint recorded without one: it gets its own targeted task."""
        doc = await self.repository.complaint(complaint_id)
        if doc is None or not viewer.covers(doc["jurisdiction"]):
            raise NotFound(f"complaint {complaint_id} not found", field="complaintId")
        self._require(viewer, doc["jurisdiction"])
        code = credit_code.strip().upper()
        if doc.get("credit_code"):
            raise Conflict(f"complaint {complaint_id} is already linked to {doc['credit_code']}",
                           code=ErrorCode.WRONG_STATUS, field="complaintId")
        if doc["status"] != "received":
            raise Conflict(f"complaint {complaint_id} is {doc['status']}", code=ErrorCode.ALREADY_CLOSED)
        enterprise = (await EnterpriseRepository(self.database).by_codes([code])).get(code)
        if enterprise is None or not viewer.covers(enterprise.jurisdiction):
            raise NotFound(f"enterprise {code} not found", field="creditCode")
        task = targeted_task(kind=TaskKind.COMPLAINT.value, origin=f"complaint:{complaint_id}", credit_code=code,
                             name=enterprise.name, jurisdiction=enterprise.jurisdiction,
                             target={"complaint": complaint_id, "channel": doc["channel"],
                                     "content": str(doc["content"])[:500]})

        async def link(session: Any) -> dict[str, Any] | None:
            linked = await self.repository.link_complaint(complaint_id, {
                "credit_code": code, "linked_by": viewer.username, "linked_at": datetime.now(UTC),
                "task_id": task.id, "area_task_id": doc.get("task_id")}, session=session)
            if linked is not None:
                await self.tasks.insert_targeted([task], session=session)
            return linked

        linked = await self.database.transaction(link)
        if linked is None:
            raise Conflict(f"complaint {complaint_id} changed meanwhile", code=ErrorCode.CONCURRENT_WRITE)
        return linked

    async def overdue(self, viewer: Viewer, *, today: date | None = None) -> list[dict[str, Any]]:
        """Complaints still being handled after their due date (supervisors, their jurisdictions)."""
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors see complaint handling")
        day = today or datetime.now(UTC).date()
        return await self.repository.overdue_complaints(list(viewer.jurisdictions), day.isoformat())

    async def complaint(self, viewer: Viewer, complaint_id: str) -> dict[str, Any]:
        """One complaint, for supervisors of its jurisdiction."""
        doc = await self.repository.complaint(complaint_id)
        if doc is None or not viewer.has_any(SUPERVISORS) or not viewer.covers(doc["jurisdiction"]):
            raise NotFound(f"complaint {complaint_id} not found", field="complaintId")
        return doc

    async def hotspot(self, viewer: Viewer, hotspot_id: str) -> dict[str, Any]:
        """One hotspot-grid alert (``<cellId>:<date>``), for supervisors of its jurisdiction."""
        doc = await self.repository.hotspot(hotspot_id)
        if doc is None or not viewer.has_any(SUPERVISORS) or not viewer.covers(doc["jurisdiction"]):
            raise NotFound(f"hotspot {hotspot_id} not found", field="hotspotId")
        return doc

    async def complaints(self, viewer: Viewer, *, status: str | None = None) -> list[dict[str, Any]]:
        if not viewer.has_any(SUPERVISORS):
            raise PermissionDenied("supervisors see complaint handling")
        return await self.repository.complaints(jurisdictions=list(viewer.jurisdictions), status=status)

    async def record_hotspot(self, viewer: Viewer, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """A hotspot-grid alert and its grid-level task; one per cell and day."""
        hotspot = _parse(HotspotData, data)
        self._require(viewer, hotspot.jurisdiction)
        key = f"{hotspot.cell_id}:{hotspot.date.isoformat()}"
        task = targeted_task(kind=TaskKind.HOTSPOT.value, origin=f"hotspot:{key}", credit_code="",
                             name=f"热点网格 {hotspot.cell_id}", jurisdiction=hotspot.jurisdiction,
                             target={"cell_id": hotspot.cell_id, "date": hotspot.date.isoformat(),
                                     "pm25": hotspot.pm25})
        doc = {"_id": key, **hotspot.model_dump(mode="json"), "task_id": task.id, "recorded_by": viewer.username,
               "jurisdiction_path": tables.ancestors(hotspot.jurisdiction), "at": datetime.now(UTC)}
        try:
            async def store(session: Any) -> None:
                await self.repository.insert_hotspot(doc, session=session)
                await self.tasks.insert_targeted([task], session=session)

            await self.database.transaction(store)
        except Exception as exc:  # the unique id decided: compare with what was stored
            if not is_duplicate_key(exc):
                raise
            stored = dict(await self.repository.hotspot(key) or {})
            if stored.get("pm25") != hotspot.pm25 or stored.get("jurisdiction") != hotspot.jurisdiction:
                raise Conflict(f"hotspot {key} was recorded with other figures", code=ErrorCode.ID_CONFLICT,
                               field="cellId") from None
            return stored, False
        return doc, True
