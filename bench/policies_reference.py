"""The default policy packs written by hand as plain if/else: the baseline of bench/policies.py.

Each function takes the same facts dict the engine gets and returns the outputs the pack decides,
first hit by priority (rules/packs/<kind>.json as shipped). The outputs are module-level constants,
so a decision allocates nothing, like a cached engine decision. Where several rules give the same
outputs their conditions are joined with ``or``; the order among them is then immaterial. Rules are
regrouped only where that cannot change the result (penalty_discretion tests repeat_offence first:
the minor-violation rule needs it false). Nothing here is derived from the JSON: if a pack changes,
bench/policies.py reports a mismatch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Outputs = dict[str, Any]

# --------------------------------------------------------------------------- supervision_class

SC_SPECIAL: Outputs = {"class": "special"}
SC_KEY: Outputs = {"class": "key"}
SC_GENERAL: Outputs = {"class": "general"}


def supervision_class(facts: dict[str, Any]) -> Outputs:
    if (facts["penalties_12m"] >= 1 or facts["supervised_case"] or facts["credit_tier"] in ("yellow", "red")
            or facts["emergency_risk"] == "major" or facts["verified_complaints_12m"] >= 3):
        return SC_SPECIAL
    if facts["key_discharger"] or facts["emergency_risk"] == "larger":
        return SC_KEY
    return SC_GENERAL


# --------------------------------------------------------------------------- positive_list

PL_INELIGIBLE: Outputs = {"eligible": False}
PL_ELIGIBLE: Outputs = {"eligible": True}


def positive_list(facts: dict[str, Any]) -> Outputs:
    if (facts["sector"] in ("waste_incineration", "hazardous_waste", "wastewater") or facts["crime_record_36m"]
            or facts["penalties_24m"] >= 1 or facts["cases_12m"] >= 1 or facts["emergencies_24m"] >= 1
            or not facts["permit_valid"] or not facts["online_monitoring"]
            or facts["credit_tier"] in ("yellow", "red") or facts["verified_complaints_12m"] >= 1
            or facts["exceedances_12m"] >= 1):
        return PL_INELIGIBLE
    return PL_ELIGIBLE


# --------------------------------------------------------------------------- sampling_ratio

SR_SPECIAL: Outputs = {"ratio": 1.0, "weight": 1.0}
SR_KEY_POSITIVE: Outputs = {"ratio": 0.25, "weight": 0.2}
SR_KEY_GREEN: Outputs = {"ratio": 0.25, "weight": 0.5}
SR_KEY: Outputs = {"ratio": 0.25, "weight": 1.0}
SR_GENERAL_POSITIVE: Outputs = {"ratio": 0.05, "weight": 0.2}
SR_GENERAL_GREEN: Outputs = {"ratio": 0.05, "weight": 0.5}
SR_GENERAL: Outputs = {"ratio": 0.05, "weight": 1.0}


def sampling_ratio(facts: dict[str, Any]) -> Outputs:
    supervision = facts["supervision_class"]
    if supervision == "special":
        return SR_SPECIAL
    if supervision == "key":
        if facts["on_positive_list"]:
            return SR_KEY_POSITIVE
        if facts["credit_tier"] == "green":
            return SR_KEY_GREEN
        return SR_KEY
    if facts["on_positive_list"]:
        return SR_GENERAL_POSITIVE
    if facts["credit_tier"] == "green":
        return SR_GENERAL_GREEN
    return SR_GENERAL


# --------------------------------------------------------------------------- heavy_pollution_measures

HP_NONE: Outputs = {"measure": "none", "reduction_pct": 0}
HP_SELF: Outputs = {"measure": "self_determined", "reduction_pct": 0}
HP_HALT: Outputs = {"measure": "halt", "reduction_pct": 100}
HP_REDUCE_50: Outputs = {"measure": "reduce", "reduction_pct": 50}
HP_REDUCE_40: Outputs = {"measure": "reduce", "reduction_pct": 40}
HP_REDUCE_30: Outputs = {"measure": "reduce", "reduction_pct": 30}
HP_REDUCE_20: Outputs = {"measure": "reduce", "reduction_pct": 20}
HP_REDUCE_10: Outputs = {"measure": "reduce", "reduction_pct": 10}


def heavy_pollution_measures(facts: dict[str, Any]) -> Outputs:
    alert = facts["alert_level"]
    if alert == "none":
        return HP_NONE
    grade = facts["performance_grade"]
    if (facts["guarantee_valid"] or grade in ("A+", "A")
            or (grade == "none" and facts["performance_leading"])):
        return HP_SELF
    sector = facts["sector"]
    if sector == "bricks" and grade in ("C", "D"):
        return HP_HALT
    if grade == "B" and alert in ("orange", "red"):  # the sector tables
        if sector == "cement":
            return HP_REDUCE_50
        if sector == "steel":
            return HP_REDUCE_30
        if sector == "coking" and alert == "red":
            return HP_REDUCE_40
    if grade in ("C", "D") and alert in ("orange", "red"):
        return HP_HALT
    if grade == "D":
        return HP_REDUCE_30
    if grade == "C":
        return HP_REDUCE_20
    if alert == "red":
        return HP_REDUCE_30
    if alert == "orange":
        return HP_REDUCE_20
    return HP_REDUCE_10


# --------------------------------------------------------------------------- electricity_triggers

EL_HALT: Outputs = {"production_on_share": 0.05, "treatment_off_share": 0.05, "min_minutes": 15,
                    "restriction_margin_pct": 0, "night_day_ratio": 1.5, "severity": "high"}
EL_REDUCE: Outputs = {"production_on_share": 0.1, "treatment_off_share": 0.05, "min_minutes": 30,
                      "restriction_margin_pct": 5, "night_day_ratio": 1.5, "severity": "high"}
EL_SPECIAL: Outputs = {"production_on_share": 0.1, "treatment_off_share": 0.05, "min_minutes": 15,
                       "restriction_margin_pct": 5, "night_day_ratio": 1.5, "severity": "high"}
EL_DEFAULT: Outputs = {"production_on_share": 0.1, "treatment_off_share": 0.05, "min_minutes": 30,
                       "restriction_margin_pct": 5, "night_day_ratio": 1.5, "severity": "medium"}


def electricity_triggers(facts: dict[str, Any]) -> Outputs:
    measure = facts["measure_in_force"]
    if measure == "halt":
        return EL_HALT
    if measure == "reduce":
        return EL_REDUCE
    if facts["supervision_class"] == "special":
        return EL_SPECIAL
    return EL_DEFAULT


# --------------------------------------------------------------------------- penalty_discretion

PD_NOT_PENALISED: Outputs = {"level": 1, "range_fraction": 0, "not_penalised": True}
PD_LEVEL_5: Outputs = {"level": 5, "range_fraction": 0.9, "not_penalised": False}
PD_LEVEL_4: Outputs = {"level": 4, "range_fraction": 0.7, "not_penalised": False}
PD_LEVEL_3: Outputs = {"level": 3, "range_fraction": 0.5, "not_penalised": False}
PD_LEVEL_2: Outputs = {"level": 2, "range_fraction": 0.3, "not_penalised": False}
PD_LEVEL_1: Outputs = {"level": 1, "range_fraction": 0.1, "not_penalised": False}


def penalty_discretion(facts: dict[str, Any]) -> Outputs:
    score = facts["discretion_score"]
    if facts["repeat_offence"]:
        return PD_LEVEL_5 if score >= 16 else PD_LEVEL_4
    if score <= 8 and facts["corrected"] and not facts["caused_harm"]:
        return PD_NOT_PENALISED
    if score >= 22:
        return PD_LEVEL_5
    if score >= 18:
        return PD_LEVEL_4
    if score >= 14:
        return PD_LEVEL_3
    if score >= 10:
        return PD_LEVEL_2
    return PD_LEVEL_1


IF_ELSE: dict[str, Callable[[dict[str, Any]], Outputs]] = {
    "supervision_class": supervision_class,
    "positive_list": positive_list,
    "sampling_ratio": sampling_ratio,
    "heavy_pollution_measures": heavy_pollution_measures,
    "electricity_triggers": electricity_triggers,
    "penalty_discretion": penalty_discretion,
}
