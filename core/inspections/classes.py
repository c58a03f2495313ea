"""Supervision class and weight of an enterprise in a plan's population (DOMAIN rules 7, 8, 10).

The class is the one the supervision_class policy decided and stored on the enterprise
(``doc["decisions"]``). Without a stored decision the registry and event facts decide it the
same way the default pack does: penalised in the last year, a supervised case, a yellow or red
published rating, a "major" risk or 3+ verified complaints make it special; a key discharger or
a "larger" risk makes it key; everyone else is general.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from core.inspections.models import PlanSettings, SupervisionClass


def published_tier(doc: dict[str, Any]) -> str:
    credit = doc.get("credit") or {}
    if credit.get("tier") and credit.get("published", True):
        return str(credit["tier"])
    return "unrated"  # a draft rating under public notice is ignored (rule 8)


def supervision_class(doc: dict[str, Any]) -> SupervisionClass:
    decided = (doc.get("decisions") or {}).get("supervision_class")
    if decided:
        return SupervisionClass(decided["outputs"]["class"])
    history = doc.get("history") or {}
    if (published_tier(doc) in ("yellow", "red") or doc.get("emergency_risk") == "major"
            or history.get("penalties_12m", 0) >= 1 or history.get("supervised_case")
            or history.get("verified_complaints_12m", 0) >= 3):
        return SupervisionClass.SPECIAL
    if doc.get("key_discharger") or doc.get("emergency_risk") == "larger":
        return SupervisionClass.KEY
    return SupervisionClass.GENERAL


def on_positive_list(doc: dict[str, Any], day: date) -> bool:
    entry = doc.get("positive_list") or {}
    return bool(entry) and entry["valid_from"] <= day.isoformat() <= entry["valid_to"]


def weight(doc: dict[str, Any], settings: PlanSettings, *, day: date, visited_in_cycle: bool) -> float:
    value = settings.tier_weights.get(published_tier(doc), 1.0)
    if on_positive_list(doc, day):
        value *= settings.positive_list_factor  # stays in the population, drawn less (rule 10)
    if not visited_in_cycle:
        value *= settings.cycle_boost  # not yet visited this cycle: favoured (rule 6)
    return round(value, 6)


Classifier = Callable[[dict[str, Any], bool], tuple[str, float, float]]
"""(enterprise document, visited in this cycle) → (stratum, weight, stratum ratio)."""


def plan_classifier(settings: PlanSettings, day: date) -> Classifier:
    """Class from the registry facts, weight and ratio from the plan's own settings."""
    def classify(doc: dict[str, Any], visited: bool) -> tuple[str, float, float]:
        stratum = supervision_class(doc)
        return stratum.value, weight(doc, settings, day=day, visited_in_cycle=visited), settings.ratios[stratum]

    return classify
