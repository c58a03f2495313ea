"""Events on an enterprise's record and the computed facts (counts over windows) derived from them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class EventKind(StrEnum):
    PENALTY = "penalty"  # 行政处罚决定
    CASE = "case"  # 立案: a verified violation under investigation
    EMERGENCY = "emergency"  # 突发环境事件
    COMPLAINT_VERIFIED = "complaint_verified"  # verified complaint (12369)
    MEDIA_EXPOSURE = "media_exposure"  # verified media exposure
    SUPERVISED_CASE = "supervised_case"  # 挂牌督办, open until ends_on
    CRIME = "crime"  # environmental crime
    EXCEEDANCE = "exceedance"  # sustained online-monitoring exceedance
    INSPECTION = "inspection"  # on-site inspection carried out


class EventData(BaseModel):
    """What a caller records; ``id`` is the caller's UUID and idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")
    credit_code: str = Field(min_length=18, max_length=18)
    kind: EventKind
    occurred_on: date
    ends_on: date | None = None
    reference: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)

    @field_validator("ends_on")
    @classmethod
    def _period(cls, value: date | None, info: ValidationInfo) -> date | None:
        occurred = info.data.get("occurred_on")
        if value is not None and occurred is not None and value < occurred:
            raise ValueError("ends_on is before occurred_on")
        return value


class EnterpriseEvent(EventData):
    source: str = "manual"  # manual | inspection | complaint | anomaly | import
    recorded_by: str
    recorded_at: datetime


def _since(day: date, days: int) -> str:
    return (day - timedelta(days=days)).isoformat()


def history_facts(events: list[dict[str, Any]], day: date) -> dict[str, Any]:
    """Counts and flags over the windows the vocabulary names, from events on or before ``day``.

    Events are dicts with ISO-date strings ``occurred_on`` (and ``ends_on``); later events are
    ignored, so a past day is evaluated with what was known to have happened by then.
    """
    today = day.isoformat()
    past = [e for e in events if e["occurred_on"] <= today]

    def count(kinds: set[str], days: int) -> int:
        start = _since(day, days)
        return sum(1 for e in past if e["kind"] in kinds and e["occurred_on"] > start)

    inspections = [e["occurred_on"] for e in past if e["kind"] == EventKind.INSPECTION]
    supervised = any(e["kind"] == EventKind.SUPERVISED_CASE and (e.get("ends_on") or today) >= _since(day, 365)
                     for e in past)
    return {
        "penalties_12m": count({EventKind.PENALTY}, 365),
        "penalties_24m": count({EventKind.PENALTY}, 730),
        "cases_12m": count({EventKind.CASE}, 365),
        "verified_complaints_12m": count({EventKind.COMPLAINT_VERIFIED, EventKind.MEDIA_EXPOSURE}, 365),
        "emergencies_24m": count({EventKind.EMERGENCY}, 730),
        "exceedances_12m": count({EventKind.EXCEEDANCE}, 365),
        "crime_record_36m": count({EventKind.CRIME}, 1095) > 0,
        "supervised_case": supervised,
        "last_inspection": date.fromisoformat(max(inspections)) if inspections else None,
    }
