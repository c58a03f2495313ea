"""createChecklistVersion: a new version of a matter's checklist (supervisors)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.fieldwork import types
from api.graphql.payloads import payload
from api.graphql.relay import UserError


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


async def create_checklist_version(info: Info[Context, None],
                                   input: CreateChecklistVersionInput
                                   ) -> ChecklistPayload:
    items = [{"id": i.item_id, "text": i.text, "type": i.type, "unit": i.unit, "choices": i.choices,
              "required": i.required, "legal_reference": i.legal_reference, "failed_severity": i.failed_severity,
              "pass_value": i.pass_value} for i in input.items]
    return await payload(
        info.context.services.checklists.create_version(info.context.viewer, matter=input.matter,
                                                        title=input.title, items=items),
        ok=lambda found: ChecklistPayload(checklist=types.Checklist.from_domain(found), user_errors=[]),
        refused=lambda errors: ChecklistPayload(checklist=None, user_errors=errors))
