"""Plans, draws and tasks: pure records and the rules on them (no storage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.policies.models import SupervisionClass
from core.reference import tables


class PlanStatus(StrEnum):
    DRAFT = "draft"
    FROZEN = "frozen"
    DRAWN = "drawn"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # a frozen or drawn plan called off by a recorded, reasoned act; stays public


class TaskStatus(StrEnum):
    ASSIGNED = "assigned"
    UNSTAFFED = "unstaffed"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    CLOSED = "closed"
    REPLACED = "replaced"
    CANCELLED = "cancelled"  # a targeted task whose reason went away, or a task of a cancelled plan, unstarted


TIERS = ("green", "blue", "yellow", "red", "unrated")
# Defaults (DOMAIN rule 5 and §1.3): special 100%, key 25% per quarter (county level), general 5%.
DEFAULT_RATIOS = {SupervisionClass.SPECIAL: 1.0, SupervisionClass.KEY: 0.25, SupervisionClass.GENERAL: 0.05}
DEFAULT_TIER_WEIGHTS = {"green": 0.5, "blue": 1.0, "yellow": 2.0, "red": 3.0, "unrated": 1.0}


class PlanSettings(BaseModel):
    """Everything a supervisor sets on a plan; frozen with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    jurisdiction: str
    matters: list[str] = Field(min_length=1)
    period_start: date
    period_end: date
    industry_codes: list[str] = Field(default_factory=list)
    ratios: dict[SupervisionClass, float] = Field(default_factory=lambda: dict(DEFAULT_RATIOS))
    tier_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    positive_list_factor: float = Field(default=0.2, gt=0, le=1)
    cycle_boost: float = Field(default=2.0, ge=1, le=100)
    exclude_inspected_within_days: int = Field(default=0, ge=0, le=3650)
    yearly_visit_cap: int = Field(default=4, ge=1, le=365)
    team_size: int = Field(default=2, ge=2, le=10)
    max_tasks_per_inspector: int = Field(default=60, ge=1, le=1000)
    ratio_source: Literal["plan", "policy"] = Field(
        default="plan", description="plan: the ratios and tier weights above; policy: the active sampling_ratio "
                                    "and supervision_class policies decide class, ratio and weight")

    @field_validator("jurisdiction")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in tables.divisions():
            raise ValueError(f"unknown jurisdiction code {value}")
        return value

    @field_validator("ratios", mode="before")
    @classmethod
    def _ratio_defaults(cls, value: object) -> object:
        """A plan that names some classes keeps the defaults for the others, never a silent 0."""
        return {**DEFAULT_RATIOS, **value} if isinstance(value, dict) else value

    @field_validator("tier_weights", mode="before")
    @classmethod
    def _weight_defaults(cls, value: object) -> object:
        return {**DEFAULT_TIER_WEIGHTS, **value} if isinstance(value, dict) else value

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, value: dict[SupervisionClass, float]) -> dict[SupervisionClass, float]:
        for name, ratio in value.items():
            if not 0 <= ratio <= 1:
                raise ValueError(f"ratio for {name.value} must be within [0, 1], got {ratio}")
        return value

    @field_validator("tier_weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(TIERS)
        if unknown:
            raise ValueError(f"unknown credit tier(s): {', '.join(sorted(unknown))}")
        for tier, weight in value.items():
            if not weight > 0:
                raise ValueError(f"weight for {tier} must be greater than 0, got {weight}")
        return value

    @model_validator(mode="after")
    def _period(self) -> PlanSettings:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class Plan(PlanSettings):
    id: str
    status: PlanStatus = PlanStatus.DRAFT
    version: int = 1
    created_by: str
    created_at: datetime
    frozen_at: datetime | None = None
    commitment: str | None = None
    population_hash: str | None = None
    population_size: int | None = None
    stratum_sizes: dict[str, int] | None = None
    quotas: dict[str, int] | None = None
    stratum_ratios: dict[str, float] | None = None
    excluded: dict[str, int] | None = None
    published_at: datetime | None = None
    draw_id: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancellation_reason: str | None = None
    protocol: int = 1  # the draw protocol it was frozen under: 2 (docs/draw-spec.md) since it runs, 1 before
    announcement: dict[str, Any] | None = None  # v2: the public value's source, event, format, earliest draw
    inspection_date: date | None = None  # v2: committed at freeze (certificates must be valid on it)


class Outcome(StrEnum):
    NO_VIOLATION = "no_violation"  # 未发现问题
    VIOLATION_FOUND = "violation_found"  # 发现违法问题
    RECTIFICATION_ORDERED = "rectification_ordered"  # 责令改正
    NOT_INSPECTED = "not_inspected"  # 无法检查 (closed, moved, refused entry)


class TaskResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    summary: str = Field(min_length=1, max_length=2000)
    completed_on: date
    recorded_by: str
    publication_due: date


class TaskKind(StrEnum):
    RANDOM = "random"  # drawn by a double-random plan
    ALERT_VERIFICATION = "alert_verification"  # checks a heavy-pollution measure is carried out
    ANOMALY_VERIFICATION = "anomaly_verification"  # checks an electricity-usage anomaly on site
    COMPLAINT = "complaint"  # follows up a complaint (12369)
    HOTSPOT = "hotspot"  # a hotspot-grid cell: find the sources (DOMAIN rule 20)


class Task(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    plan_id: str | None  # None for targeted (non-random) tasks
    draw_id: str  # the draw, or for a targeted task its origin ("alert:<id>")
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    stratum: str
    inspectors: list[str]
    lead: str | None
    status: TaskStatus
    kind: str = TaskKind.RANDOM.value
    target: dict[str, Any] | None = None  # why a targeted task exists (the measure to verify, …)
    unstaffed_reason: str | None = None
    drawn_inspectors: list[str] = Field(default_factory=list)  # the team as drawn; never changes
    removed_inspectors: list[str] = Field(default_factory=list)
    redraws: list[str] = Field(default_factory=list)
    result: TaskResult | None = None
    result_published_at: datetime | None = None
    version: int = 1
    created_at: datetime


class Draw(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    plan_id: str
    kind: str  # original | redraw
    reason: str | None = None
    replaces: str | None = None
    object_algorithm: str
    inspector_algorithm: str
    commitment: str
    secret: str
    public_value: str
    seed: str
    population_hash: str
    quotas: dict[str, int]
    drawn_count: int
    staffed_count: int
    unstaffed: dict[str, str]
    inspection_date: date
    team_size: int
    created_by: str
    created_at: datetime
    published: bool = False
    protocol: int = 1


class PlanTemplate(BaseModel):
    """A plan the scheduler creates as a draft each period (its settings without the period)."""

    model_config = ConfigDict(frozen=True)

    id: str
    cadence: Literal["quarterly", "half_yearly", "yearly"]
    settings: dict[str, Any]


@dataclass(frozen=True)
class Member:
    """A member of a frozen population as the commitment of protocol v2 records it (docs/draw-spec.md §3)."""

    credit_code: str
    stratum: str
    division: str
    tier: str
    positive_list: bool
    visited: bool
    weight: float  # as the classifier gave it (the plan's settings, or the policy)


@dataclass(frozen=True)
class Commitment:
    """What freezing under protocol v2 commits: the document, its canonical bytes and hashes, and the strata."""

    document: dict[str, Any]
    canonical: bytes
    commitment_hash: str
    population_hash: str
    sizes: dict[str, int]
    quotas: dict[str, int]


@dataclass(frozen=True)
class DrawOutcome:
    """The objects drawn per stratum, the teams and the coded reasons of the unstaffed tasks."""

    drawn: dict[str, list[str]]
    teams: dict[str, list[str]]
    unstaffed: dict[str, str]


@dataclass(frozen=True)
class ReplacementOutcome:
    """A completed replacement of protocol v2: the object drawn (kind object), the team, and the members kept and
    removed (kind inspector), or why no team could be drawn."""

    replacement: str | None
    team: list[str]
    keep: list[str]
    removed: list[str]
    unstaffed: str | None


@dataclass(frozen=True)
class DrawnPlan:
    """What drawing a plan gives: the draw and the plan as it now stands."""

    draw: Draw
    plan: Plan


@dataclass(frozen=True)
class Redraw:
    """A replacement draw: its published record and the tasks it changed or created."""

    record: dict[str, Any]
    tasks: list[Task]


@dataclass(frozen=True)
class Coverage:
    jurisdiction: str
    completed: int
    published: int
    overdue: int

    @property
    def ratio(self) -> float:
        return self.published / self.completed if self.completed else 1.0
