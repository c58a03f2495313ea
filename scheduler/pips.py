"""Object draw of protocol v2: exact quotas, probabilities proportional to weight, systematic πps on hash keys.

Pure and stdlib-only; every step is specified to the byte in docs/draw-spec.md (§4–§6):

- a weight is a decimal string with exactly six fractional digits, read as an integer number of
  millionths (``"2.000000"`` → 2 000 000), so all arithmetic below is on integers;
- a stratum's quota is ``min(size, max(minimum, ceil(ratio × size)))`` with the ratio an exact decimal;
- each member's inclusion probability is ``π = min(1, c·w)`` with ``c`` such that ``Σπ = quota``: the
  heaviest members are taken with certainty while ``(quota − taken)·w ≥ Σ w of the rest``; the others get
  ``π = (quota − taken)·w / Σ w of the rest``, an exact fraction published as ``"n/d"``;
- the members are ordered by ``SHA-256(seed ‖ n ‖ credit code)`` (tie: the credit code), and a systematic
  sample of step 1 with a start from the seed is taken along the cumulated π. For any order the first-order
  inclusion probability of a member is its π (up to the 256-bit resolution of the start: the error is below
  ``Σw / 2^256``), so the published π are the true ones.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

ALGORITHM = "pips-systematic-sha256-v2"
WEIGHT_DIGITS = 6
_WEIGHT = re.compile(r"(0|[1-9][0-9]*)\.([0-9]{6})")
_RATIO = re.compile(r"(0|1|0\.[0-9]*[1-9]|1\.0)")


class DesignError(ValueError):
    """Inputs that have no draw: a malformed weight or ratio, a quota outside the stratum, a repeated member."""


def weight_text(value: float) -> str:
    """A weight as the protocol writes it: six fractional digits (the classifier rounds to six already)."""
    return f"{value:.{WEIGHT_DIGITS}f}"


def weight_units(text: str) -> int:
    """``"0.200000"`` → 200000: the weight in millionths; refuses anything but digits, a point and six digits."""
    found = _WEIGHT.fullmatch(text)
    if found is None:
        raise DesignError(f"weight {text!r} is not a decimal with exactly {WEIGHT_DIGITS} fractional digits")
    units: int = int(found.group(1)) * 10**WEIGHT_DIGITS + int(found.group(2))
    if units <= 0:
        raise DesignError(f"weight {text!r} is not positive")
    return units


def ratio_text(value: float) -> str:
    """A ratio as a plain decimal: the shortest decimal that reads back as the stored number (0.05 → "0.05")."""
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return "1.0" if text == "1" else text


def parse_ratio(text: str) -> Fraction:
    if _RATIO.fullmatch(text) is None:
        raise DesignError(f"ratio {text!r} is not a decimal within [0, 1] written as the protocol writes it")
    return Fraction(text)


def quota(size: int, ratio: Fraction, minimum: int = 0) -> int:
    """``min(size, max(minimum, ceil(ratio × size)))``, exactly (no floating point anywhere)."""
    return min(size, max(minimum, math.ceil(ratio * size)))


@dataclass(frozen=True)
class Design:
    """π of a stratum: 1 for weights ≥ ``threshold`` (take-all), else ``free × w / rest``.

    ``rest`` is the sum of the weights that are not take-all; ``free`` the quota left for them."""

    quota: int
    threshold: int | None
    free: int
    rest: int

    def pi(self, units: int) -> Fraction:
        if self.threshold is not None and units >= self.threshold:
            return Fraction(1)
        return Fraction(self.free * units, self.rest) if self.rest else Fraction(0)

    def pi_text(self, units: int) -> str:
        value = self.pi(units)
        return f"{value.numerator}/{value.denominator}"

    def share(self, units: int) -> int:
        """The member's length on the systematic line, in units of 1/``scale``."""
        if self.threshold is not None and units >= self.threshold:
            return self.scale
        return self.free * units

    @property
    def scale(self) -> int:
        return self.rest or 1


def design(weights: Iterable[int], stratum_quota: int) -> Design:
    """Take-all members while ``(quota − taken)·w ≥ Σ w of the rest``, heaviest first (members of equal weight
    are all taken or none: the test does not change when one of them is taken)."""
    counts: dict[int, int] = {}
    for units in weights:
        counts[units] = counts.get(units, 0) + 1
    size, rest = sum(counts.values()), sum(w * n for w, n in counts.items())
    if not 0 <= stratum_quota <= size:
        raise DesignError(f"quota {stratum_quota} outside 0..{size}")
    taken, threshold = 0, None
    for units in sorted(counts, reverse=True):
        if stratum_quota - taken > 0 and (stratum_quota - taken) * units >= rest:
            taken, rest, threshold = taken + counts[units], rest - units * counts[units], units
        else:
            break
    return Design(quota=stratum_quota, threshold=threshold, free=stratum_quota - taken, rest=rest)


def key_prefix(seed: bytes, number: int) -> bytes:
    return seed + number.to_bytes(4, "big")


def member_key(seed: bytes, number: int, code: str) -> bytes:
    """``SHA-256(seed ‖ uint32be(number) ‖ UTF-8(code))``: 32 bytes, compared as an unsigned big-endian integer."""
    return hashlib.sha256(key_prefix(seed, number) + code.encode("utf-8")).digest()


def start(seed: bytes, number: int, stratum: str, scale: int) -> int:
    """The systematic start in ``[0, scale)``: ``floor(U × scale / 2^256)`` with
    ``U = SHA-256(seed ‖ uint32be(number) ‖ "start:" ‖ UTF-8(stratum))``."""
    u = int.from_bytes(hashlib.sha256(key_prefix(seed, number) + b"start:" + stratum.encode("utf-8")).digest(), "big")
    return (u * scale) >> 256


def select(members: Mapping[str, int], stratum_quota: int, *, seed: bytes, number: int, stratum: str) -> list[str]:
    """The drawn credit codes of one stratum (``members``: credit code → weight units), in credit-code order."""
    plan = design(members.values(), stratum_quota)
    if plan.quota == 0:
        return []
    prefix = key_prefix(seed, number)
    sha = hashlib.sha256
    scale = plan.scale
    # Each member's share of the line, by its UTF-8 code (few distinct weights: one share per weight).
    shares = {units: plan.share(units) for units in set(members.values())}
    share_of = {code.encode("utf-8"): shares[units] for code, units in members.items()}
    # key ‖ code sorts by key, then by the code's UTF-8 bytes (the tie-break), in one bytes comparison.
    order = sorted([sha(prefix + code).digest() + code for code in share_of])
    point = start(seed, number, stratum, scale)
    reached = 0
    drawn: list[bytes] = []
    for entry in order:
        code = entry[32:]
        reached += share_of[code]
        if point < reached:  # a point of the systematic line falls in this member's interval
            drawn.append(code)
            point += scale
    if len(drawn) != plan.quota:  # cannot happen: Σ shares = quota × scale and each share ≤ scale
        raise DesignError(f"stratum {stratum}: drew {len(drawn)}, quota {plan.quota}")
    return sorted(code.decode("utf-8") for code in drawn)


def draw(rows: Sequence[tuple[str, str, int]], quotas: Mapping[str, int], *, seed: bytes,
         number: int = 0) -> dict[str, list[str]]:
    """The drawn credit codes per stratum from ``(credit code, stratum, weight units)`` rows."""
    strata: dict[str, dict[str, int]] = {}
    for code, stratum, units in rows:
        strata.setdefault(stratum, {})[code] = units
    if sum(len(group) for group in strata.values()) != len(rows) or len({c for c, _, _ in rows}) != len(rows):
        raise DesignError("a member is repeated")
    if any(units <= 0 for group in strata.values() for units in group.values()):
        raise DesignError("a weight is not positive")
    return {stratum: select(group, quotas.get(stratum, 0), seed=seed, number=number, stratum=stratum)
            for stratum, group in sorted(strata.items())}
