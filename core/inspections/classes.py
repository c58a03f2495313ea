"""Supervision class and weight of an enterprise in a plan's population (DOMAIN rules 7, 8, 10).

The class is the supervision_class policy's, in force on the plan's start (``class_of``, given by the
policy classifier factory wired at assembly); without one, the stored decision of
``core/policies/classes.py``. The weight and the ratio come from the plan's own settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from core.inspections.models import PlanSettings
from core.policies.classes import published_tier, supervision_class
from core.policies.models import SupervisionClass


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


def plan_classifier(settings: PlanSettings, day: date,
                    class_of: Callable[[dict[str, Any]], str] | None = None) -> Classifier:
    """Class from the policy (``class_of``) or the stored decision, weight and ratio from the plan's settings."""
    def classify(doc: dict[str, Any], visited: bool) -> tuple[str, float, float]:
        stratum = SupervisionClass(class_of(doc)) if class_of is not None else supervision_class(doc)
        return stratum.value, weight(doc, settings, day=day, visited_in_cycle=visited), settings.ratios[stratum]

    return classify
