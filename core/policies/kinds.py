"""Policy kinds, each declared once: what it decides (its outputs), how its decisions take effect, its pack.

Adding a kind is one ``PolicyKind`` member and its entry in ``KINDS``, plus its default pack
``rules/packs/<kind>.json``. Everything else reads this table: the outputs a document of the kind
must give (``rules.vocabulary.OUTPUTS``), the packs installed on first start (``rules.packs``), the
kinds decided again for every enterprise whose facts change (``STORED_KINDS``) and the kinds decided
on one violation, which cannot be simulated over the registry (``CASE_KINDS``). A flow that uses a
kind's decision (a draw, an alert, a power scan, a penalty) names it by its member. The kind strings
are stored in policies and decisions and never change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class FactType(StrEnum):
    ENUM = "enum"
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"


def fits(kind: FactType, value: Any, values: tuple[str, ...], minimum: float, maximum: float) -> bool:
    """Whether ``value`` is of ``kind`` and inside its enumeration or range (a bool is not a number)."""
    if kind is FactType.ENUM:
        return isinstance(value, str) and value in values
    if kind is FactType.BOOL:
        return isinstance(value, bool)
    if kind is FactType.INT:
        return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum
    return isinstance(value, int | float) and not isinstance(value, bool) and minimum <= value <= maximum


@dataclass(frozen=True)
class OutputField:
    name: str
    type: FactType
    values: tuple[str, ...] = ()
    minimum: float = 0
    maximum: float = 1

    def accepts(self, value: Any) -> bool:
        return fits(self.type, value, self.values, self.minimum, self.maximum)


def _number(name: str, low: float, high: float) -> OutputField:
    return OutputField(name, FactType.NUMBER, minimum=low, maximum=high)


CLASSES = ("special", "key", "general")
MEASURES = ("none", "self_determined", "reduce", "halt")
SEVERITIES = ("low", "medium", "high")


class PolicyKind(StrEnum):
    SUPERVISION_CLASS = "supervision_class"
    POSITIVE_LIST = "positive_list"
    SAMPLING_RATIO = "sampling_ratio"
    HEAVY_POLLUTION_MEASURES = "heavy_pollution_measures"
    ELECTRICITY_TRIGGERS = "electricity_triggers"
    PENALTY_DISCRETION = "penalty_discretion"
    ALERT_VERIFICATION = "alert_verification"


class Applies(StrEnum):
    """How the decisions of a kind take effect."""

    STORED = "stored"  # decided again for every enterprise whose facts change, kept per enterprise
    ON_USE = "on_use"  # evaluated by the flow that needs it (a draw, an alert, a power scan)
    PER_CASE = "per_case"  # decided for one violation, never over the registry


@dataclass(frozen=True)
class KindSpec:
    kind: PolicyKind
    description: str
    applies: Applies
    outputs: Mapping[str, OutputField]

    @property
    def pack(self) -> str:
        """The file of its default pack in ``rules/packs``."""
        return f"{self.kind.value}.json"


def _spec(kind: PolicyKind, description: str, applies: Applies, *outputs: OutputField) -> KindSpec:
    return KindSpec(kind, description, applies, MappingProxyType({field.name: field for field in outputs}))


KINDS: Mapping[PolicyKind, KindSpec] = MappingProxyType({spec.kind: spec for spec in (
    _spec(PolicyKind.SUPERVISION_CLASS, "special, key or general supervision object (DOMAIN rule 7)", Applies.STORED,
          OutputField("class", FactType.ENUM, CLASSES)),
    _spec(PolicyKind.POSITIVE_LIST, "positive-list eligibility and removal (rules 11-12)", Applies.STORED,
          OutputField("eligible", FactType.BOOL)),
    _spec(PolicyKind.SAMPLING_RATIO, "sampling ratio and draw weight (rules 5, 8, 10)", Applies.ON_USE,
          _number("ratio", 0, 1), _number("weight", 0.000001, 100)),
    _spec(PolicyKind.HEAVY_POLLUTION_MEASURES, "measure under a heavy-pollution alert (rules 14-16)", Applies.ON_USE,
          OutputField("measure", FactType.ENUM, MEASURES), _number("reduction_pct", 0, 100)),
    # Shares are of a meter's rated power; the anomaly detector turns them into kW thresholds.
    _spec(PolicyKind.ELECTRICITY_TRIGGERS, "electricity-evidence thresholds (rules 17-18)", Applies.ON_USE,
          _number("production_on_share", 0, 1), _number("treatment_off_share", 0, 1),
          OutputField("min_minutes", FactType.INT, minimum=1, maximum=1440),
          _number("restriction_margin_pct", 0, 100), _number("night_day_ratio", 1, 100),
          OutputField("severity", FactType.ENUM, SEVERITIES)),
    # A position inside the statutory range, never an amount: a recommendation cannot leave the range.
    _spec(PolicyKind.PENALTY_DISCRETION, "discretion level of one violation (rules 25-26)", Applies.PER_CASE,
          OutputField("level", FactType.INT, minimum=1, maximum=5), _number("range_fraction", 0, 1),
          OutputField("not_penalised", FactType.BOOL)),
    # Who is checked on site under an alert: each enterprise's share of its jurisdiction's sample (the ratios
    # summed and rounded up) and its weight in the πps draw of that sample (issue #14 item 2).
    _spec(PolicyKind.ALERT_VERIFICATION, "on-site verification ratio and weight under an alert", Applies.ON_USE,
          _number("ratio", 0, 1), _number("weight", 0.000001, 100)),
)})

STORED_KINDS = tuple(kind for kind, spec in KINDS.items() if spec.applies is Applies.STORED)
CASE_KINDS = frozenset(kind for kind, spec in KINDS.items() if spec.applies is Applies.PER_CASE)
