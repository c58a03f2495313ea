"""Field work records: checklists, sync operations, the records a device creates, and their results.

A device works offline and sends operations (``SyncOp``); every operation and every record it
creates carries a client UUID that is both its id and its idempotency key.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.device import UUID_PATTERN, GeoPoint
from core.jsonsafe import INT64_MAX


class ItemType(StrEnum):
    YES_NO = "yes_no"
    NUMBER = "number"
    TEXT = "text"
    CHOICE = "choice"


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class ChecklistItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    text: str = Field(min_length=1, max_length=500)
    type: ItemType
    unit: str = Field(default="", max_length=20)
    choices: list[str] = Field(default_factory=list)
    required: bool = True
    legal_reference: str = Field(default="", max_length=300)
    failed_severity: Severity = Severity.GENERAL
    pass_value: Any = None  # the answer that passes (yes/no items: True; choice items: one choice)

    @model_validator(mode="after")
    def _shape(self) -> ChecklistItem:
        if self.type is ItemType.CHOICE and len(self.choices) < 2:
            raise ValueError(f"item {self.id}: a choice item needs at least two choices")
        if self.type is not ItemType.CHOICE and self.choices:
            raise ValueError(f"item {self.id}: only choice items have choices")
        if self.type is ItemType.NUMBER and not self.unit:
            raise ValueError(f"item {self.id}: a number item needs a unit")
        if self.pass_value is not None and not self.accepts(self.pass_value):
            raise ValueError(f"item {self.id}: no answer can equal the pass value {self.pass_value!r}")
        return self

    def accepts(self, value: Any) -> bool:
        if self.type is ItemType.YES_NO:
            return isinstance(value, bool)
        if self.type is ItemType.NUMBER:
            return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if self.type is ItemType.CHOICE:
            return value in self.choices
        return isinstance(value, str) and 0 < len(value) <= 2000

    def passed(self, value: Any) -> bool | None:
        return None if self.pass_value is None else value == self.pass_value


class Checklist(BaseModel):
    """One version of a matter's checklist; a new version never changes an older one."""

    model_config = ConfigDict(frozen=True)

    id: str  # "<matter>:v<n>"
    matter: str
    version: int
    title: str
    items: list[ChecklistItem]
    created_by: str
    created_at: datetime
    # Division whose supervisors may version it (core/fieldwork/checklists.py); None: stored before
    # checklists had a scope, which makes it province-wide (the root division).
    jurisdiction: str | None = None

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.id == item_id), None)


EARLIEST_YEAR, LATEST_YEAR = 1970, 2199
OpType = Literal["start_task", "answer_item", "record_finding", "delete_record", "register_evidence", "sign",
                 "record_party", "submit_task", "correct_task", "withdraw_evidence"]


class SyncOp(BaseModel):
    """One operation from a device. ``record_id`` names the record it creates or edits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    op_id: str = Field(pattern=UUID_PATTERN)
    type: OpType
    task_id: str = Field(min_length=1, max_length=200)
    record_id: str = Field(pattern=UUID_PATTERN)
    base_version: int | None = Field(default=None, ge=1, le=INT64_MAX, strict=True)
    device_time: datetime
    gps_time: datetime | None = None
    place: GeoPoint | None = None
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("device_time", "gps_time")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        # A phone reset to 1970 is a real clock; year 1 or 9999 is not, and shifting it by the
        # clock skew or an offset would overflow the date range.
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"must fall within the years {EARLIEST_YEAR}-{LATEST_YEAR}")
        return value


class OpStatus(StrEnum):
    APPLIED = "APPLIED"
    REPLAYED = "REPLAYED"
    CONFLICT = "CONFLICT"
    REJECTED = "REJECTED"


class OpResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    op_id: str
    status: OpStatus
    code: str | None = None
    message: str | None = None
    record_id: str | None = None
    version: int | None = None
    seq: int | None = None


class InspectionStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    AWAITING_EVIDENCE = "awaiting_evidence"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class Submission:
    """A signed-off submission (every assigned inspector signed): what its task's result is made of."""

    task_id: str
    inspection_id: str
    inspected_on: date  # the day the inspection started, in China time
    findings: list[dict[str, Any]]  # the bodies of its findings (violation_type, severity, description, ...)
    submitted_by: str


OnSubmitted = Callable[[Submission], Awaitable[None]]
