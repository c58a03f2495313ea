"""Positive-list membership records: an admission or a removal, who decided it, when, why and on what basis."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

ENTRY_YEARS = 3  # an entry is valid 3 years unless the admission says otherwise (DOMAIN rule 11, Guangzhou)


class ChangeAction(StrEnum):
    ADMITTED = "admitted"
    REMOVED = "removed"


class ChangeCause(StrEnum):
    DECISION = "decision"  # a supervisor's decision (an admission batch, or a removal with its reason)
    AUTOMATIC = "automatic"  # the eligibility policy no longer holds after an event or a registry change


class Batch(BaseModel):
    """The admission batch, as the bureau publishes it (e.g. 2026年第一批, 西环函〔2026〕12号)."""

    model_config = ConfigDict(frozen=True)

    name: str
    number: str


class MembershipChange(BaseModel):
    """One change of an enterprise's membership; never edited or deleted."""

    model_config = ConfigDict(frozen=True)

    id: str
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    action: ChangeAction
    cause: ChangeCause
    batch: Batch | None = None  # admissions
    valid_from: date | None = None  # admissions: the effective period
    valid_to: date | None = None
    effective_on: date  # the first day the change holds
    reason: str
    basis: str  # the batch decision, the removal decision, or the policy version and rules that no longer hold
    actor: str
    at: datetime
    request_id: str


class Member(BaseModel):
    """A current member: the enterprise's projected period and the admission that gave it, if recorded."""

    model_config = ConfigDict(frozen=True)

    credit_code: str
    enterprise_name: str
    jurisdiction: str
    valid_from: date
    valid_to: date
    seq: int
    admission: MembershipChange | None = None  # None for an entry imported with the registry
