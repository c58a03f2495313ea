"""Policy and version records (the rule content itself is validated by ``rules.model``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class VersionStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIVE = "active"
    RETIRED = "retired"


class GoldenCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    facts: dict[str, Any]
    expected: dict[str, Any]
    note: str = ""


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class PolicyVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    policy_id: str
    number: int
    status: VersionStatus
    content: dict[str, Any]
    content_hash: str
    parent: str | None = None
    author: str
    approver: str | None = None
    golden_cases: list[GoldenCase] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)  # when it was in force (several after a rollback)
    created_at: datetime
    updated_at: datetime

    def in_force_on(self, day: date) -> bool:
        return any(p.covers(day) for p in self.periods)


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # "<kind>:<jurisdiction>"
    kind: str
    jurisdiction: str
    active_version: str | None = None
    latest_number: int = 0
    created_at: datetime
