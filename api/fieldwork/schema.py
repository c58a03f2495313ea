"""Field work GraphQL: syncPush, syncPull, checklists, and the supervisor's view."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.fieldwork import types
from api.graphql.relay import UserError
from core.errors import DomainError

OpType = strawberry.enum(Enum("OpType", {t.upper(): t for t in (  # type: ignore[misc]
    "start_task", "answer_item", "record_finding", "delete_record", "register_evidence", "sign", "record_party",
    "submit_task", "correct_task")}), description="What a sync operation does")


@strawberry.input
class PlaceInput:
    lat: float
    lon: float
    accuracy_m: float | None = None


@strawberry.input(description="One operation recorded on a device. opId and recordId are client UUIDs.")
class SyncOpInput:
    op_id: str
    type: OpType
    task_id: str
    record_id: str
    base_version: int | None = strawberry.field(default=None, description="The version an edit was made on")
    device_time: datetime
    gps_time: datetime | None = None
    place: PlaceInput | None = None
    payload: JSON | None = strawberry.field(default=None, description="The op's content (an object); omitted means {}.")


@strawberry.input
class SyncPushInput:
    device_now: datetime = strawberry.field(description="The device clock when pushing (clock-skew check)")
    ops: list[SyncOpInput]


@strawberry.type
class SyncPushPayload:
    results: list[types.OpResult]
    user_errors: list[UserError]


@strawberry.input
class ChecklistItemInput:
    item_id: str
    text: str
    type: str = strawberry.field(description="yes_no, number, text or choice")
    unit: str = ""
    choices: list[str] = strawberry.field(default_factory=list)
    required: bool = True
    legal_reference: str = ""
    failed_severity: str = "general"
    pass_value: JSON | None = None


@strawberry.input
class CreateChecklistVersionInput:
    matter: str
    title: str
    items: list[ChecklistItemInput]


@strawberry.type
class ChecklistPayload:
    checklist: types.Checklist | None
    user_errors: list[UserError]


@strawberry.input
class ResolveSyncConflictInput:
    conflict_id: str
    resolution: str = strawberry.field(description="accept or discard")
    note: str = ""


@strawberry.type
class ResolveSyncConflictPayload:
    resolved: bool
    user_errors: list[UserError]


def _op(item: SyncOpInput) -> dict[str, Any]:
    return {"op_id": item.op_id, "type": item.type.value, "task_id": item.task_id, "record_id": item.record_id,
            "base_version": item.base_version, "device_time": item.device_time, "gps_time": item.gps_time,
            "place": ({"lat": item.place.lat, "lon": item.place.lon, "accuracy_m": item.place.accuracy_m}
                      if item.place else None),
            # As sent: a payload that is not an object is the service's to reject for this op alone.
            "payload": {} if item.payload is None else item.payload}


def _errors(exc: DomainError) -> list[UserError]:
    return [UserError.from_domain(e) for e in exc.as_field_errors()]


@strawberry.type
class FieldQuery:
    @strawberry.field(description="Changes to the records of your tasks after `since` (a server sequence), "
                                  "and the tasks to purge from the device.")
    async def sync_pull(self, info: Info[Context, None], since: int = 0, first: int = 100) -> types.SyncPage:
        page = await info.context.services.sync.pull(info.context.viewer, since=since, first=first)
        return types.SyncPage(changes=[types.FieldChange.from_entry(e) for e in page["changes"]],
                              purge=page["purge"], next_since=page["next_since"], has_more=page["has_more"])

    @strawberry.field(description="The latest checklist of a matter.")
    async def checklist(self, info: Info[Context, None], matter: str) -> types.Checklist | None:
        found = await info.context.services.checklists.latest(matter)
        return types.Checklist.from_domain(found) if found else None

    @strawberry.field(description="Progress of a plan's tasks (or of a targeted origin such as alert:<id>).")
    async def field_progress(self, info: Info[Context, None], plan_id: str | None = None,
                             origin: str | None = None) -> types.FieldProgress:
        found = await info.context.services.oversight.progress(info.context.viewer, plan_id=plan_id,
                                                               origin=origin)
        return types.FieldProgress(total=found["total"], by_status=found["by_status"],
                                   awaiting_evidence=found["awaiting_evidence"],
                                   open_conflicts=found["open_conflicts"], pending_evidence=found["pending_evidence"])

    @strawberry.field(description="Open sync conflicts in your jurisdictions, newest first.")
    async def sync_conflicts(self, info: Info[Context, None]) -> list[types.SyncConflict]:
        found = await info.context.services.oversight.conflicts(info.context.viewer)
        return [types.SyncConflict.from_document(d) for d in found]

    @strawberry.field(description="Evidence registered but not yet fully uploaded, oldest first.")
    async def pending_evidence(self, info: Info[Context, None]) -> JSON:
        found = await info.context.services.oversight.pending_evidence(info.context.viewer)
        return types.plain([{"evidenceId": d["_id"], "taskId": d["task_id"], "kind": d["kind"], "size": d["size"],
                             "received": d.get("received", 0), "registeredAt": d["registered_at"],
                             "registeredBy": d["registered_by"]} for d in found])


@strawberry.type
class FieldMutation:
    @strawberry.mutation(description="Apply a device's operations; one result per op, in order.")
    async def sync_push(self, info: Info[Context, None], input: SyncPushInput) -> SyncPushPayload:  # noqa: A002
        context = info.context
        try:
            results = await context.services.sync.push(context.viewer, [_op(o) for o in input.ops],
                                                       device_now=input.device_now)
        except DomainError as exc:
            return SyncPushPayload(results=[], user_errors=_errors(exc))
        return SyncPushPayload(results=[types.OpResult.from_domain(r) for r in results], user_errors=[])

    @strawberry.mutation(description="A new version of a matter's checklist (supervisors).")
    async def create_checklist_version(self, info: Info[Context, None],
                                       input: CreateChecklistVersionInput  # noqa: A002
                                       ) -> ChecklistPayload:
        items = [{"id": i.item_id, "text": i.text, "type": i.type, "unit": i.unit, "choices": i.choices,
                  "required": i.required, "legal_reference": i.legal_reference, "failed_severity": i.failed_severity,
                  "pass_value": i.pass_value} for i in input.items]
        try:
            found = await info.context.services.checklists.create_version(
                info.context.viewer, matter=input.matter, title=input.title, items=items)
        except DomainError as exc:
            return ChecklistPayload(checklist=None, user_errors=_errors(exc))
        return ChecklistPayload(checklist=types.Checklist.from_domain(found), user_errors=[])

    @strawberry.mutation(description="Record a supervisor's decision on a sync conflict.")
    async def resolve_sync_conflict(self, info: Info[Context, None], input: ResolveSyncConflictInput  # noqa: A002
                                    ) -> ResolveSyncConflictPayload:
        try:
            await info.context.services.oversight.resolve(info.context.viewer, input.conflict_id,
                                                          resolution=input.resolution, note=input.note)
        except DomainError as exc:
            return ResolveSyncConflictPayload(resolved=False, user_errors=_errors(exc))
        return ResolveSyncConflictPayload(resolved=True, user_errors=[])
