"""Meters, readings, power-usage alerts, complaints and hotspot-grid alerts (records, no storage)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SLOT_MINUTES = 15  # the interval of the utility's interval data; readings are kept per minute of the day


class MeterRole(StrEnum):
    PRODUCTION = "production"  # a production line or unit
    TREATMENT = "treatment"  # a pollution-treatment facility
    TOTAL = "total"  # the whole site


class MeterData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    meter_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    credit_code: str = Field(min_length=18, max_length=18)
    role: MeterRole
    unit: str = Field(default="", max_length=100)  # the production unit or facility it measures
    rated_kw: float = Field(gt=0, le=1_000_000)


class Meter(MeterData):
    jurisdiction: str
    created_at: datetime


class AlertKind(StrEnum):
    TREATMENT_NOT_RUNNING = "treatment_not_running"  # DOMAIN rule 17
    HALT_VIOLATION = "halt_violation"  # DOMAIN rule 18, a mandated halt
    RESTRICTION_VIOLATION = "restriction_violation"  # DOMAIN rule 18, a mandated cut
    NIGHT_DAY_WATCH = "night_day_watch"  # DOMAIN §5.1, night usage above ratio × day usage


class AlertStage(StrEnum):
    """DOMAIN rule 19: push → handle → feedback → verify → review."""

    PUSHED = "pushed"
    HANDLED = "handled"
    FED_BACK = "fed_back"
    VERIFIED = "verified"
    REVIEWED = "reviewed"  # closed


NEXT_STAGE = {"handle": (AlertStage.PUSHED, AlertStage.HANDLED),
              "feedback": (AlertStage.HANDLED, AlertStage.FED_BACK),
              "verify": (AlertStage.FED_BACK, AlertStage.VERIFIED),
              "review": (AlertStage.VERIFIED, AlertStage.REVIEWED)}


class PowerAlert(BaseModel):
    """An anomaly found in the electricity data, to be handled, verified with evidence and reviewed."""

    model_config = ConfigDict(frozen=True)

    id: str
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    kind: AlertKind
    severity: str
    starts_at: datetime
    ends_at: datetime
    minutes: int
    detail: dict[str, Any]
    policy_version: str
    stage: AlertStage = AlertStage.PUSHED
    violation: bool | None = None  # the verifier's finding
    verifier: str | None = None
    evidence: list[str] = Field(default_factory=list)
    task_id: str | None = None
    lead_id: str | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)
    version: int = 1
    created_at: datetime


class LeadStatus(StrEnum):
    OPEN = "open"  # recorded on the enterprise; nobody has gone yet
    CONVERTED = "converted"  # became an on-site verification task
    DISMISSED = "dismissed"  # closed without a visit, with a reason


class Lead(BaseModel):
    """A clue (线索) from a non-site check, recorded on the enterprise (DOMAIN rule 10).

    A positive-list enterprise is checked on site only when such a lead (or a complaint, an
    exposure, an assignment) exists; for other enterprises it keeps the clue in their history.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    source: str  # what found it: "power_alert"
    source_id: str
    summary: str
    status: LeadStatus = LeadStatus.OPEN
    positive_list: bool = False  # the enterprise was on the positive list when the lead was recorded
    task_id: str | None = None
    reason: str = ""
    created_by: str
    created_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    version: int = 1
