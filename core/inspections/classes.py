"""Supervision class and weight of an enterprise in a plan's population (DOMAIN rules 7, 8, 10).

The class and the published credit tier come from ``core/policies/classes.py`` (the stored
supervision_class decision, or the default pack's rule over registry and event facts); the
weight and the ratio come from the plan's own settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from core.inspections.models import PlanSettings
from core.policies.classes import published_tier, supervision_class


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
