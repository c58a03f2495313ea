"""What every case mutation shares: its input turned into the step's data (yuan to fen), one service call,
the payload, and the resolver built from a table entry (field name, step, input, who may call it)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from api.cases.types import Case, CasePayload
from api.context import Context
from api.graphql.payloads import payload
from core.accounts.models import Role
from core.cases import law
from core.cases.models import Case as CaseModel
from core.cases.models import StepKind
from core.device import UUID_PATTERN
from core.error_codes import ErrorCode
from core.errors import FieldError, ValidationFailed

MAX_YUAN = Decimal(10**11)
RENAMED = {"evidence_id": "id"}
ENVELOPE = ("case_id", "step_id")


def fen(value: Decimal, field: str) -> int:
    """Yuan (at most two decimals, finite, within 100 billion) as integer fen."""
    try:
        if not value.is_finite():
            raise InvalidOperation
        scaled = value * law.FEN_PER_YUAN
        if scaled != scaled.to_integral_value() or abs(value) > MAX_YUAN:
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationFailed([FieldError(field, f"{field} must be an amount in yuan with at most two decimals, "
                                           "finite and below 100 billion", ErrorCode.INVALID_NUMBER)]) from None
    return int(scaled)


def to_data(value: Any, field: str = "") -> Any:
    """An input object as the plain data the domain step reads: enums by value, ``*_yuan`` as ``*_fen``,
    unset optional fields left out so the step's defaults apply."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name in ENVELOPE or item is None or item is strawberry.UNSET:
                continue
            if f.name.endswith("_yuan"):
                data[f.name.removesuffix("_yuan") + "_fen"] = fen(item, f.name)
            else:
                data[RENAMED.get(f.name, f.name)] = to_data(item, f.name)
        return data
    if isinstance(value, list):
        return [to_data(item, field) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def case_payload(info: Info[Context, None], done: tuple[CaseModel, bool]) -> CasePayload:
    case, created = done
    return CasePayload(case=Case.from_domain(case, info.context.services.cases.rules), replayed=not created,
                       user_errors=[])


def refused(errors: list[Any]) -> CasePayload:
    return CasePayload(case=None, replayed=False, user_errors=errors)


def check_uuid(value: str, field: str) -> str:
    if not re.match(UUID_PATTERN, value):
        raise ValidationFailed([FieldError(field, f"{field} must be a UUID you generate", ErrorCode.INVALID_VALUE)])
    return value


async def record(info: Info[Context, None], kind: StepKind, input: Any) -> tuple[CaseModel, bool]:
    context = info.context
    step_id = check_uuid(input.step_id, "stepId")
    return await context.services.cases.record(context.viewer, input.case_id, kind, step_id, to_data(input),
                                               request_id=context.request_id)


@dataclass(frozen=True)
class StepMutation:
    """One case step as a GraphQL mutation: declared as data, so access and docs come from the same table."""

    field: str  # the GraphQL field name
    kind: StepKind
    input: type
    roles: frozenset[Role]  # who may call it at all; the step itself checks the rest (officer, independence)
    description: str

    def resolver(self) -> Callable[..., Awaitable[CasePayload]]:
        kind = self.kind

        async def resolve(info: Info[Context, None], input: Any) -> CasePayload:
            return await payload(record(info, kind, input), ok=lambda done: case_payload(info, done),
                                 refused=refused)

        resolve.__annotations__ = {"info": Info[Context, None], "input": self.input, "return": CasePayload}
        resolve.__name__ = self.field
        return resolve

    def mutation(self) -> Any:
        return strawberry.mutation(resolver=self.resolver(), description=self.description)
