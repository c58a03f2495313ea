"""Which jurisdiction's policy applies to an enterprise: its city's, where the city has one in force, else the
province's. A city may have its own policy of the kinds whose every use looks the policy up this way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from core.policies.kinds import STORED_KINDS, PolicyKind
from core.reference import tables

T = TypeVar("T")

# The kinds whose decisions are looked up per enterprise jurisdiction: the stored ones (re-decision, refresh,
# explanation) and the sampling ratio (plans). The others are still read from the province's policy only.
CITY_KINDS = frozenset({*STORED_KINDS, PolicyKind.SAMPLING_RATIO})


def applicable(found: Mapping[str, T], jurisdiction: str) -> T | None:
    """The entry of the most specific division in ``found`` that contains ``jurisdiction`` (itself first)."""
    for code in tables.ancestors(jurisdiction) if jurisdiction in tables.divisions() else [tables.root_code()]:
        if code in found:
            return found[code]
    return None


def is_city(code: str) -> bool:
    division = tables.divisions().get(code)
    return division is not None and division.parent == tables.root_code()
