"""The double-random draw's πps design applied to an alert's on-site verification pools.

``core.alerts.verification`` routes each enterprise; the sample of each jurisdiction's pool is drawn
with ``scheduler.pips`` (the same keys, design and tie-breaks as a plan's stratum, docs/draw-spec.md),
and each pool member's inclusion probability is published with its measure.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from scheduler import pips

select = pips.select


def inclusion(members: Mapping[str, int], quota: int) -> dict[str, Fraction]:
    """Each member's π under the design for ``quota`` draws from ``members`` (credit code → weight units)."""
    design = pips.design(members.values(), quota)
    return {code: design.pi(units) for code, units in members.items()}
