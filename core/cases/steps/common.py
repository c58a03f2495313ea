"""What every step checks: who signs it, the case's stage, dates in order and not in the future."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from core.accounts.models import Role
from core.accounts.roles import CASE_STAFF, SUPERVISORS
from core.cases.models import Case, CaseStatus
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed

Text = Field(min_length=1, max_length=4000)


class StepInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Actor:
    """Who records a step, and when: the server's time, so a replay of the stored steps gives the same case."""

    username: str
    roles: frozenset[Role]
    inspector_id: str | None
    at: datetime

    @property
    def today(self) -> date:
        return self.at.date()


def require_role(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if not actor.roles & roles:
        raise PermissionDenied(f"{actor.username} may not {what}")


def is_officer(case: Case, actor: Actor) -> bool:
    return actor.inspector_id is not None and actor.inspector_id in case.officers


def require_handler(case: Case, actor: Actor, what: str) -> None:
    """A handling officer of the case, or a supervisor of its jurisdiction (jurisdiction is the service's check)."""
    require_role(actor, CASE_STAFF, what)
    if not is_officer(case, actor) and not actor.roles & SUPERVISORS:
        raise PermissionDenied(f"{actor.username} is not a handling officer of case {case.id} and may not {what}")


def require_independent(case: Case, actor: Actor, what: str) -> None:
    if is_officer(case, actor):
        raise Conflict(f"{actor.username} handles case {case.id} and may not {what}", code=ErrorCode.NOT_INDEPENDENT)


def require_status(case: Case, allowed: set[CaseStatus], what: str) -> None:
    if case.status == CaseStatus.CLOSED or case.status == CaseStatus.NOT_FILED:
        raise Conflict(f"case {case.id} is closed", code=ErrorCode.ALREADY_CLOSED)
    if case.status not in allowed:
        raise Conflict(f"case {case.id} is {case.status.value}: cannot {what} now", code=ErrorCode.STEP_OUT_OF_ORDER)


def out_of_order(case: Case, message: str) -> Conflict:
    return Conflict(f"case {case.id}: {message}", code=ErrorCode.STEP_OUT_OF_ORDER)


def check_date(actor: Actor, value: date, field: str, *, not_before: date | None = None,
               before_what: str = "") -> None:
    """Dates of what happened: not after today (the earliest time zone's today), not before the step they follow."""
    if value > actor.today:
        raise ValidationFailed([FieldError(field, f"{field} {value} is in the future", ErrorCode.IN_FUTURE)])
    if not_before is not None and value < not_before:
        raise ValidationFailed([FieldError(field, f"{field} {value} is before {before_what} ({not_before})",
                                           ErrorCode.DATE_ORDER)])
