"""Stratified weighted sampling without replacement, exact stratum sizes, vectorised.

Algorithm ``es-exp-pcg64-v1`` (Efraimidis–Spirakis with exponential clocks):
1. ``e = Generator(PCG64(substream(seed, "objects"))).standard_exponential(N)``, one number per
   object in the canonical population order (sorted by id);
2. ``clock = e / weight``;
3. in each stratum, the ``quota`` objects with the smallest clocks are drawn.
The object with the smallest ``E / w`` is drawn first with probability proportional to ``w``
(a race of exponential clocks), so taking the ``quota`` smallest is weighted sampling without
replacement. Drawn objects are listed in canonical order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.error_codes import ErrorCode
from scheduler.randomness import substream

ALGORITHM = "es-exp-pcg64-v1"


class SamplingError(ValueError):
    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Population:
    """Objects in canonical order (sorted by id): stratum code per object, labels, positive weights."""

    ids: Sequence[str]
    codes: np.ndarray  # int, index into labels
    labels: Sequence[str]
    weights: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.ids) == len(self.codes) == len(self.weights)):
            raise SamplingError("ids, strata and weights differ in length", ErrorCode.INVALID_POPULATION)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, str, float]]) -> Population:
        """Build from (id, stratum, weight) rows, sorting them into canonical order."""
        ordered = sorted(rows)
        if any(a[0] == b[0] for a, b in zip(ordered, ordered[1:], strict=False)):
            raise SamplingError("an id appears twice in the population", ErrorCode.INVALID_POPULATION)
        labels = sorted({stratum for _, stratum, _ in ordered})
        position = {label: i for i, label in enumerate(labels)}
        return cls(ids=[r[0] for r in ordered],
                   codes=np.fromiter((position[r[1]] for r in ordered), dtype=np.int32, count=len(ordered)),
                   labels=labels, weights=np.fromiter((r[2] for r in ordered), dtype=np.float64, count=len(ordered)))

    def sizes(self) -> dict[str, int]:
        counts = np.bincount(self.codes, minlength=len(self.labels))
        return {label: int(counts[i]) for i, label in enumerate(self.labels)}


def quotas(sizes: Mapping[str, int], ratios: Mapping[str, float], minimums: Mapping[str, int] | None = None
           ) -> dict[str, int]:
    """``ceil(ratio × stratum size)`` (at least the minimum), never more than the stratum holds."""
    result = {}
    for stratum, size in sorted(sizes.items()):
        ratio = ratios.get(stratum, 0.0)
        if not 0.0 <= ratio <= 1.0:
            raise SamplingError(f"ratio for {stratum} must be within [0, 1], got {ratio}", ErrorCode.INVALID_RATIO)
        wanted = max(math.ceil(round(ratio * size, 9)), (minimums or {}).get(stratum, 0))
        result[stratum] = min(size, wanted)
    return result


def draw_indices(population: Population, stratum_quotas: Mapping[str, int], seed_hex: str) -> dict[str, np.ndarray]:
    """Positions (canonical order) of the drawn objects per stratum. Pure: same inputs, same result."""
    weights = population.weights
    if len(weights) == 0:
        raise SamplingError("the population is empty", ErrorCode.EMPTY_POPULATION)
    if not (np.all(weights > 0) and np.all(np.isfinite(weights))):
        raise SamplingError("every weight must be a positive number", ErrorCode.INVALID_WEIGHT)
    rng = np.random.Generator(np.random.PCG64(substream(seed_hex, "objects")))
    clocks = rng.standard_exponential(len(weights))
    np.divide(clocks, weights, out=clocks)
    result: dict[str, np.ndarray] = {}
    for code, label in enumerate(population.labels):
        members = np.flatnonzero(population.codes == code)
        quota = stratum_quotas.get(label, 0)
        if quota < 0 or quota > len(members):
            raise SamplingError(f"quota {quota} for {label} outside 0..{len(members)}", ErrorCode.INVALID_QUOTA)
        if quota == len(members):
            result[label] = members
        elif quota == 0:
            result[label] = members[:0]
        else:
            top = np.argpartition(clocks[members], quota - 1)[:quota]
            result[label] = np.sort(members[top])
    return result


def draw(population: Population, stratum_quotas: Mapping[str, int], seed_hex: str) -> dict[str, list[str]]:
    """The drawn ids per stratum, in canonical order."""
    ids = population.ids
    return {label: [ids[i] for i in positions.tolist()]
            for label, positions in draw_indices(population, stratum_quotas, seed_hex).items()}
