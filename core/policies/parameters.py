"""Policy-wide parameters of a kind: numbers and flags a version sets once, not per rule, with their defaults.

A version's document may carry ``"parameters": {name: value}``; a name it leaves out takes the default
declared here (so versions written before a parameter existed keep working). Each parameter is declared
once, with its type and range, its meaning and the source of its default (DOMAIN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from core.policies.kinds import FactType, OutputField, PolicyKind


@dataclass(frozen=True)
class Parameter:
    field: OutputField
    default: Any
    meaning: str
    source: str


def _minimum(cls: str, default: float, source: str) -> Parameter:
    return Parameter(OutputField(f"minimum_ratio_{cls}", FactType.NUMBER, minimum=0, maximum=1), default,
                     f"smallest ratio a plan may draw from the {cls} class; a plan below it is refused "
                     f"(BELOW_MINIMUM_RATIO)", source)


PARAMETERS: Mapping[PolicyKind, Mapping[str, Parameter]] = MappingProxyType({
    PolicyKind.SAMPLING_RATIO: MappingProxyType({p.field.name: p for p in (
        _minimum("special", 1.0, "DOMAIN rule 5: special objects 100% per quarter (Fuzhou Mawei 2021, fzmq)"),
        _minimum("key", 0.05, "DOMAIN rule 5: key ≥5% per quarter at city level, ≥25% at county level "
                              "(Guangdong 2016, goootech; Chizhou 2019); the lower, city figure by default"),
        _minimum("general", 0.05, "DOMAIN rule 5: general ≥5% per quarter (Chizhou 2019)"),
        Parameter(OutputField("visit_cap_counts_targeted", FactType.BOOL), False,
                  "whether completed targeted inspections (alert, complaint, anomaly, hotspot) count towards the "
                  "yearly visit cap; by default only completed double-random inspections do",
                  "DOMAIN rule 9 (the cap is on planned on-site visits, reportify)"),
        Parameter(OutputField("cycle_years", FactType.INT, minimum=1, maximum=5), 1,
                  "length of the supervision cycle of the coverage report in calendar years, from 1 January",
                  "DOMAIN rule 6: key objects all visited once a year (Jiangxi, hz56)"),
    )}),
})


def declared(kind: str) -> Mapping[str, Parameter]:
    """The parameters a version of ``kind`` may set (none for most kinds)."""
    try:
        return PARAMETERS.get(PolicyKind(kind), MappingProxyType({}))
    except ValueError:
        return MappingProxyType({})


def values(kind: str, content: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters of a version's content: its own values over the declared defaults."""
    given = (content or {}).get("parameters") or {}
    return {name: given.get(name, spec.default) for name, spec in declared(kind).items()}
