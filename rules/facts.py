"""Facts of an enterprise for policy evaluation, from its registry record and its history.

Facts that other parts of the system will feed (penalty cases, complaints, supervised cases,
emergencies, alerts) default to "none recorded" until those records exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from core.inspections.classes import published_tier, supervision_class
from core.reference import tables

NO_INSPECTION_DAYS = 100_000


def _valid_on(period: dict[str, Any] | None, day: date) -> bool:
    if not period:
        return False
    return str(period["valid_from"]) <= day.isoformat() <= str(period["valid_to"])


def enterprise_facts(doc: dict[str, Any], *, day: date, history: dict[str, Any] | None = None) -> dict[str, Any]:
    """All vocabulary facts for one enterprise document on ``day``."""
    history = history or {}
    industry = tables.industries().get(doc.get("industry_code", ""))
    if industry is None:
        raise ValueError(f"enterprise {doc.get('credit_code')} has an unknown industry code")
    permit = doc.get("permit") or {}
    performance = doc.get("performance") or {}
    guarantee = doc.get("guarantee") or {}
    last = history.get("last_inspection")
    return {
        "credit_tier": published_tier(doc),
        "key_discharger": bool(doc.get("key_discharger")),
        "emergency_risk": doc.get("emergency_risk") or "none",
        "penalties_12m": int(history.get("penalties_12m", 0)),
        "penalties_24m": int(history.get("penalties_24m", 0)),
        "supervised_case": bool(history.get("supervised_case", False)),
        "verified_complaints_12m": int(history.get("verified_complaints_12m", 0)),
        "emergencies_24m": int(history.get("emergencies_24m", 0)),
        "crime_record_36m": bool(history.get("crime_record_36m", False)),
        "days_since_last_inspection": (day - last).days if isinstance(last, date) else NO_INSPECTION_DAYS,
        "online_monitoring": bool(doc.get("online_monitoring")),
        "permit_valid": bool(permit) and (permit.get("validity") is None or _valid_on(permit.get("validity"), day)),
        "sector": industry.sector,
        "performance_grade": performance.get("grade", "none"),
        "performance_leading": bool(performance.get("leading")),
        "guarantee_valid": bool(guarantee) and _valid_on(guarantee.get("validity"), day),
        "on_positive_list": _valid_on(doc.get("positive_list"), day),
        "supervision_class": supervision_class(doc).value,
        "alert_level": history.get("alert_level", "none"),
    }
