"""Policy and version records, golden-case results and explanations (the rule content is checked by the engine)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SupervisionClass(StrEnum):
    """The output of the supervision_class policy: what a plan's strata are (DOMAIN rule 7)."""

    SPECIAL = "special"  # 特殊监管对象
    KEY = "key"  # 重点排污单位
    GENERAL = "general"  # 一般排污单位


class VersionStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIVE = "active"
    RETIRED = "retired"
    DISCARDED = "discarded"  # a draft given up, with a reason; kept (and logged), never edited again


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


class RefreshState(StrEnum):
    SCHEDULED = "scheduled"  # the version takes effect later: the daily job runs it on its date
    RUNNING = "running"  # started; an interrupted run resumes after the last enterprise stored
    DONE = "done"
    CANCELLED = "cancelled"  # the scheduled version was rolled back before its date


class DecisionRefresh(BaseModel):
    """Re-deciding the stored decisions a version governs once it is in force: a resumable job, counted."""

    model_config = ConfigDict(frozen=True)

    id: str
    policy_id: str
    kind: str
    jurisdiction: str
    version_id: str
    effective_from: date
    state: RefreshState
    after: str = ""  # the last credit code done (enterprises go in credit-code order)
    evaluated: int = 0
    changed: int = 0
    created_at: datetime
    updated_at: datetime


class GoldenCaseResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    passed: bool
    actual: dict[str, Any]
    expected: dict[str, Any]
    error: str | None = None


class AppliedRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    rationale: str
    legal_reference: str


class Explanation(BaseModel):
    """Why an enterprise got its decision: the version in force, the facts it read, the rules behind it."""

    model_config = ConfigDict(frozen=True)

    version: str
    policy_id: str  # the policy that applied: the enterprise's city's, or the province's where the city has none
    jurisdiction: str
    outputs: dict[str, Any]
    facts: dict[str, Any]
    applied: list[AppliedRule]
    fired: list[str]
    hit_policy: str
