"""What rule authors may use: fact fields (typed, with enumerations and units), operators and outputs.

Policies are data; this module is the contract they are checked against. Authors cannot write
code or regular expressions — only conditions on these facts and outputs of these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FactType(StrEnum):
    ENUM = "enum"
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    description: str
    values: tuple[str, ...] = ()
    unit: str = ""
    minimum: float = 0
    maximum: float = 1e9

    def accepts(self, value: Any) -> bool:
        if self.type is FactType.ENUM:
            return isinstance(value, str) and value in self.values
        if self.type is FactType.BOOL:
            return isinstance(value, bool)
        if self.type is FactType.INT:
            return isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value <= self.maximum
        return isinstance(value, int | float) and not isinstance(value, bool) and self.minimum <= value <= self.maximum


TIERS = ("green", "blue", "yellow", "red", "unrated")
SEVERITIES = ("low", "medium", "high")
SECTORS = ("livestock", "food", "textile", "leather", "paper", "petrochemical", "coking", "chemical",
           "pharmaceutical", "plastics", "cement", "bricks", "glass", "steel", "nonferrous", "surface_treatment",
           "automotive", "electronics", "power", "heating", "gas", "wastewater", "hazardous_waste",
           "waste_incineration", "medical")

MEASURES = ("none", "self_determined", "reduce", "halt")
VIOLATION_TYPES = ("exceed_standard", "evade_supervision", "no_permit", "hazardous_waste_dumping",
                   "fugitive_emission", "monitoring_not_connected")

FACTS: dict[str, FactSpec] = {spec.name: spec for spec in [
    FactSpec("credit_tier", FactType.ENUM, "latest published environmental credit tier", TIERS),
    FactSpec("key_discharger", FactType.BOOL, "on the key-discharger list (重点排污单位)"),
    FactSpec("emergency_risk", FactType.ENUM, "environmental-emergency risk level",
             ("none", "general", "larger", "major")),
    FactSpec("penalties_12m", FactType.INT, "environmental penalties in the last 12 months", unit="count",
             maximum=1000),
    FactSpec("penalties_24m", FactType.INT, "environmental penalties in the last 24 months", unit="count",
             maximum=1000),
    FactSpec("supervised_case", FactType.BOOL, "under supervised-case listing (挂牌督办)"),
    FactSpec("verified_complaints_12m", FactType.INT, "verified complaints or media exposures, last 12 months",
             unit="count", maximum=10000),
    FactSpec("emergencies_24m", FactType.INT, "environmental emergencies in the last 24 months", unit="count",
             maximum=1000),
    FactSpec("crime_record_36m", FactType.BOOL, "environmental-crime record in the last 36 months"),
    FactSpec("days_since_last_inspection", FactType.INT, "days since the last on-site inspection", unit="days",
             maximum=100000),
    FactSpec("online_monitoring", FactType.BOOL, "automatic monitoring installed, running and connected"),
    FactSpec("permit_valid", FactType.BOOL, "discharge permit valid today"),
    FactSpec("sector", FactType.ENUM, "industry sector (from the GB/T 4754 code)", SECTORS),
    FactSpec("performance_grade", FactType.ENUM, "heavy-pollution performance grade (绩效分级)",
             ("A+", "A", "B", "C", "D", "none")),
    FactSpec("performance_leading", FactType.BOOL, "leading enterprise (引领性) in a non-graded sector"),
    FactSpec("guarantee_valid", FactType.BOOL, "approved guarantee-class status valid today (保障类)"),
    FactSpec("on_positive_list", FactType.BOOL, "on the enforcement positive list today (正面清单)"),
    FactSpec("supervision_class", FactType.ENUM, "supervision class", ("special", "key", "general")),
    FactSpec("alert_level", FactType.ENUM, "heavy-pollution alert level in force", ("none", "blue", "yellow",
                                                                                   "orange", "red")),
    FactSpec("cases_12m", FactType.INT, "enforcement cases filed (立案) in the last 12 months", unit="count",
             maximum=1000),
    FactSpec("exceedances_12m", FactType.INT, "sustained online-monitoring exceedances in the last 12 months",
             unit="count", maximum=10000),
    FactSpec("measure_in_force", FactType.ENUM, "heavy-pollution measure the enterprise must apply today",
             MEASURES),
    # Facts of one violation, for penalty discretion (环执法〔2019〕42号): each factor has five levels.
    FactSpec("violation_type", FactType.ENUM, "type of the violation", VIOLATION_TYPES),
    FactSpec("discretion_score", FactType.INT, "sum of the five factor levels (harm, fault, means, object, "
             "correction), each 1 (lightest) to 5", unit="points", minimum=5, maximum=25),
    FactSpec("repeat_offence", FactType.BOOL, "the same violation was penalised before"),
    FactSpec("corrected", FactType.BOOL, "the violation was corrected promptly"),
    FactSpec("caused_harm", FactType.BOOL, "the violation caused harm"),
]}

OPERATORS = {
    "eq": "equals", "ne": "differs from", "in": "is one of", "not_in": "is none of",
    "lt": "is less than", "lte": "is at most", "gt": "is greater than", "gte": "is at least",
}
NUMERIC_OPERATORS = {"lt", "lte", "gt", "gte"}
LIST_OPERATORS = {"in", "not_in"}


@dataclass(frozen=True)
class OutputField:
    name: str
    type: FactType
    values: tuple[str, ...] = ()
    minimum: float = 0
    maximum: float = 1

    def accepts(self, value: Any) -> bool:
        spec = FactSpec(self.name, self.type, "", self.values, minimum=self.minimum, maximum=self.maximum)
        return spec.accepts(value)


def _number(name: str, low: float, high: float) -> OutputField:
    return OutputField(name, FactType.NUMBER, minimum=low, maximum=high)


OUTPUTS: dict[str, dict[str, OutputField]] = {
    "supervision_class": {"class": OutputField("class", FactType.ENUM, ("special", "key", "general"))},
    "positive_list": {"eligible": OutputField("eligible", FactType.BOOL)},
    "sampling_ratio": {"ratio": OutputField("ratio", FactType.NUMBER, minimum=0, maximum=1),
                       "weight": OutputField("weight", FactType.NUMBER, minimum=0.000001, maximum=100)},
    "heavy_pollution_measures": {
        "measure": OutputField("measure", FactType.ENUM, MEASURES),
        "reduction_pct": _number("reduction_pct", 0, 100)},
    # Shares are of a meter's rated power; the anomaly detector turns them into kW thresholds.
    "electricity_triggers": {
        "production_on_share": _number("production_on_share", 0, 1),
        "treatment_off_share": _number("treatment_off_share", 0, 1),
        "min_minutes": OutputField("min_minutes", FactType.INT, minimum=1, maximum=1440),
        "restriction_margin_pct": _number("restriction_margin_pct", 0, 100),
        "night_day_ratio": _number("night_day_ratio", 1, 100),
        "severity": OutputField("severity", FactType.ENUM, SEVERITIES)},
    # A position inside the statutory range, never an amount: a recommendation cannot leave the range.
    "penalty_discretion": {
        "level": OutputField("level", FactType.INT, minimum=1, maximum=5),
        "range_fraction": _number("range_fraction", 0, 1),
        "not_penalised": OutputField("not_penalised", FactType.BOOL)},
}
