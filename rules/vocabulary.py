"""What rule authors may use: fact fields (typed, with enumerations and units), operators and outputs.

Policies are data; this module is the contract they are checked against. Authors cannot write
code or regular expressions — only conditions on these facts and outputs of these shapes. The
outputs of each policy kind are declared with the kind, in ``core/policies/kinds.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.policies.kinds import CLASSES, KINDS, MEASURES, SEVERITIES, FactType, OutputField, fits

__all__ = ["FACTS", "LIST_OPERATORS", "MEASURES", "NUMERIC_OPERATORS", "OPERATORS", "OUTPUTS", "SECTORS",
           "SEVERITIES", "TIERS", "VIOLATION_TYPES", "FactSpec", "FactType", "OutputField"]


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
        return fits(self.type, value, self.values, self.minimum, self.maximum)


TIERS = ("green", "blue", "yellow", "red", "unrated")
SECTORS = ("livestock", "food", "textile", "leather", "paper", "petrochemical", "coking", "chemical",
           "pharmaceutical", "plastics", "cement", "bricks", "glass", "steel", "nonferrous", "surface_treatment",
           "automotive", "electronics", "power", "heating", "gas", "wastewater", "hazardous_waste",
           "waste_incineration", "medical",
           # Added by the positive-list seed (正面清单, docs/policies.md "Sectors"): nuclear_technology has no
           # GB/T 4754 class of its own, so no industry code maps to it yet.
           "crop_farming", "clean_energy", "nuclear_technology", "integrated_circuits", "biomedicine",
           "key_components", "special_materials")

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
    FactSpec("supervision_class", FactType.ENUM, "supervision class", CLASSES),
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


# By policy kind: the outputs every rule of a document of that kind gives.
OUTPUTS: Mapping[str, Mapping[str, OutputField]] = {kind.value: spec.outputs for kind, spec in KINDS.items()}
