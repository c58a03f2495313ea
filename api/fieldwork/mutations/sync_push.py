"""syncPush: apply a device's operations in order, one result per op."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.fieldwork import types
from api.graphql.payloads import payload
from api.graphql.relay import UserError


@strawberry.enum(description="What a sync operation does")
class OpType(Enum):
    START_TASK = "start_task"
    ANSWER_ITEM = "answer_item"
    RECORD_FINDING = "record_finding"
    DELETE_RECORD = "delete_record"
    REGISTER_EVIDENCE = "register_evidence"
    SIGN = "sign"
    RECORD_PARTY = "record_party"
    SUBMIT_TASK = "submit_task"
    CORRECT_TASK = "correct_task"
    WITHDRAW_EVIDENCE = "withdraw_evidence"


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


def _op(item: SyncOpInput) -> dict[str, Any]:
    return {"op_id": item.op_id, "type": item.type.value, "task_id": item.task_id, "record_id": item.record_id,
            "base_version": item.base_version, "device_time": item.device_time, "gps_time": item.gps_time,
            "place": ({"lat": item.place.lat, "lon": item.place.lon, "accuracy_m": item.place.accuracy_m}
                      if item.place else None),
            # As sent: a payload that is not an object is the service's to reject for this op alone.
            "payload": {} if item.payload is None else item.payload}


async def sync_push(info: Info[Context, None], input: SyncPushInput) -> SyncPushPayload:
    context = info.context
    return await payload(
        context.services.sync.push(context.viewer, [_op(o) for o in input.ops], device_now=input.device_now),
        ok=lambda results: SyncPushPayload(results=[types.OpResult.from_domain(r) for r in results],
                                           user_errors=[]),
        refused=lambda errors: SyncPushPayload(results=[], user_errors=errors))
