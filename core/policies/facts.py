"""Facts of an enterprise for policy evaluation, from its registry record and its events.

Counted facts (penalties, cases, complaints, emergencies, exceedances, the last inspection) come
from the enterprise's events (core/events) as they stood on the evaluation day; the alert level
and the measure in force are supplied by the caller that knows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from core.db import Database
from core.events.service import history_for
from core.policies.classes import published_tier, supervision_class
from core.policies.repository import DecisionRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository

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
        "cases_12m": int(history.get("cases_12m", 0)),
        "exceedances_12m": int(history.get("exceedances_12m", 0)),
        "measure_in_force": history.get("measure_in_force", "none"),
    }


async def facts_batches(database: Database, query: dict[str, Any], day: date, *, batch: int = 500,
                        extra: dict[str, Any] | None = None, after: str | None = None
                        ) -> AsyncIterator[list[tuple[dict[str, Any], dict[str, Any]]]]:
    """(document, facts on ``day``) for every matching enterprise, events included, in batches; with ``after``
    (a credit code, "" for the first), in credit-code order from after it, for jobs that resume."""
    enterprises = EnterpriseRepository(database)
    parts = (enterprises.stream(query, batch=batch) if after is None
             else enterprises.stream_by_code(query, after=after, batch=batch))
    decisions = DecisionRepository(database)
    async for part in parts:
        codes = [d["credit_code"] for d in part]
        histories = await history_for(database, codes, day)
        # The supervision_class fact is the stored decision of that policy, not a rule written in code.
        stored = await decisions.current(codes)
        for doc in part:
            doc.setdefault("decisions", stored.get(doc["credit_code"], {}))
        yield [(doc, enterprise_facts(doc, day=day, history={**histories[doc["credit_code"]], **(extra or {})}))
               for doc in part]
