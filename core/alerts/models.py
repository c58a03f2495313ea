"""Alert records and the measures computed for each enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AlertData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: str = Field(pattern="^(blue|yellow|orange|red)$")
    jurisdictions: list[str] = Field(min_length=1)
    starts_at: datetime
    ends_at: datetime
    source: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _ordered(self) -> AlertData:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Alert(AlertData):
    id: str
    status: str  # active | lifted
    version: int = 1
    issued_by: str
    issued_at: datetime
    history: list[dict[str, Any]] = Field(default_factory=list)
    policy_version: str
    affected: int = 0
    # Per jurisdiction: enterprises verified from data, exempt, flagged, pooled and sampled (the routing's
    # preview), and the seed the on-site sample was drawn with (core.alerts.verification).
    verification: list[dict[str, Any]] = Field(default_factory=list)
    verification_seed: str | None = None


@dataclass(frozen=True)
class AlertMeasures:
    """What the measures policy in force decided for each enterprise an alert covers, and that policy's version."""

    policy_version: str
    measures: list[dict[str, Any]]
