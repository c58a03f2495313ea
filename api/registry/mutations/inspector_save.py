"""createInspector, updateInspector (certificate, posts), deactivateInspector: the inspector database's upkeep."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.registry import types


@strawberry.input
class CreateInspectorInput:
    staff_id: str
    name: str
    certificate_number: str
    certificate_expires: date
    jurisdictions: list[str] = strawberry.field(description="Division codes the inspector is posted to")
    on_post: bool = True


@strawberry.input
class UpdateInspectorInput:
    staff_id: str
    version: int = strawberry.field(description="The version you read; a newer stored one refuses the edit")
    name: str | None = strawberry.UNSET
    certificate_number: str | None = strawberry.UNSET
    certificate_expires: date | None = strawberry.UNSET
    jurisdictions: list[str] | None = strawberry.UNSET
    on_post: bool | None = strawberry.UNSET


@strawberry.input
class DeactivateInspectorInput:
    staff_id: str
    version: int
    reason: str


@strawberry.type
class InspectorPayload:
    inspector: types.Inspector | None
    user_errors: list[UserError]


def _ok(inspector: Any) -> InspectorPayload:
    return InspectorPayload(inspector=types.Inspector.from_domain(inspector), user_errors=[])


def _refused(errors: list[UserError]) -> InspectorPayload:
    return InspectorPayload(inspector=None, user_errors=errors)


async def create_inspector(info: Info[Context, None], input: CreateInspectorInput) -> InspectorPayload:
    context = info.context
    data = {"staff_id": input.staff_id, "name": input.name, "certificate_number": input.certificate_number,
            "certificate_expires": input.certificate_expires, "jurisdictions": input.jurisdictions,
            "on_post": input.on_post}
    return await payload(context.services.upkeep.create_inspector(context.viewer, data, request_id=context.request_id),
                         ok=_ok, refused=_refused)


async def update_inspector(info: Info[Context, None], input: UpdateInspectorInput) -> InspectorPayload:
    context = info.context
    changes = {name: getattr(input, name) for name in ("name", "certificate_number", "certificate_expires",
                                                       "jurisdictions", "on_post")
               if getattr(input, name) is not strawberry.UNSET}
    return await payload(context.services.upkeep.update_inspector(
        context.viewer, input.staff_id, version=input.version, changes=changes, request_id=context.request_id),
        ok=_ok, refused=_refused)


async def deactivate_inspector(info: Info[Context, None], input: DeactivateInspectorInput) -> InspectorPayload:
    context = info.context
    return await payload(context.services.upkeep.deactivate_inspector(
        context.viewer, input.staff_id, version=input.version, reason=input.reason, request_id=context.request_id),
        ok=_ok, refused=_refused)


@strawberry.input
class InspectorConflictInput:
    staff_id: str
    version: int
    credit_code: str


async def declare_conflict(info: Info[Context, None], input: InspectorConflictInput) -> InspectorPayload:
    context = info.context
    return await payload(context.services.upkeep.declare_conflict(
        context.viewer, input.staff_id, credit_code=input.credit_code, version=input.version,
        request_id=context.request_id), ok=_ok, refused=_refused)


async def withdraw_conflict(info: Info[Context, None], input: InspectorConflictInput) -> InspectorPayload:
    context = info.context
    return await payload(context.services.upkeep.declare_conflict(
        context.viewer, input.staff_id, credit_code=input.credit_code, version=input.version,
        request_id=context.request_id, withdraw=True), ok=_ok, refused=_refused)
