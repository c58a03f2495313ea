"""How each enterprise's measure under an alert is verified: from its data, on site, or not at all.

Non-site first (issue #14 item 2). An enterprise whose own non-site check raised an alert (an open power
alert) is checked on site, whatever its measure. Of the others, those whose measure can be checked (a
halt or a cut) are routed:

- a positive-list member is exempt (正面清单: 可不采取或少采取…, DOMAIN rules 10–12);
- an enterprise with electricity or automatic monitoring is verified from its data (the power scan over
  the alert's window; an anomaly there brings it on site later);
- the rest form each jurisdiction's pool, from which an on-site sample is drawn with the double-random
  draw's πps design: the quota is the pool's verification ratios summed and rounded up, each member's
  inclusion probability proportional to its weight (both from the alert-verification policy).

Pure: the routing is a function of the candidates and the seed, so anyone can recompute it.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

CHECKABLE = ("halt", "reduce")
# (members: credit code → weight in millionths, quota, seed, redraw number, stratum) → drawn credit codes.
Select = Callable[..., list[str]]


class Route(StrEnum):
    NOT_CHECKED = "not_checked"  # the measure needs no verification (none, self-determined)
    FLAGGED = "flagged"  # its own non-site check raised an alert: on site
    EXEMPT = "exempt"  # positive-list member without an alert of its own
    NONSITE = "nonsite"  # verified from its electricity or automatic-monitoring data
    SAMPLED = "sampled"  # drawn into the on-site sample
    NOT_SAMPLED = "not_sampled"  # in the pool, not drawn

    @property
    def on_site(self) -> bool:
        return self in (Route.FLAGGED, Route.SAMPLED)


@dataclass(frozen=True)
class Candidate:
    credit_code: str
    jurisdiction: str
    measure: str
    ratio: Fraction  # from the alert-verification policy
    weight_units: int  # the policy's weight in millionths (the draw's integer weights)
    monitored: bool = False
    member: bool = False
    flagged: bool = False


@dataclass
class Routing:
    routes: dict[str, Route] = field(default_factory=dict)
    pi: dict[str, Fraction] = field(default_factory=dict)  # inclusion probability of every pool member
    quotas: dict[str, int] = field(default_factory=dict)  # per jurisdiction
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    seed: str | None = None  # hex; None in a preview

    def on_site(self) -> list[str]:
        return sorted(code for code, route in self.routes.items() if route.on_site)

    def preview(self) -> list[dict[str, int | str]]:
        """Per jurisdiction: how many enterprises take each route, and the sample's quota."""
        return [{"jurisdiction": j, "quota": self.quotas.get(j, 0),
                 **{route.value: counts.get(route.value, 0) for route in Route},
                 "on_site": counts.get(Route.FLAGGED.value, 0) + counts.get(Route.SAMPLED.value, 0)}
                for j, counts in sorted(self.counts.items())]


def weight_units(weight: float) -> int:
    """A policy weight as the draw's integer millionths (at least 1)."""
    return max(1, round(Fraction(str(weight)) * 1_000_000))


def first_route(candidate: Candidate) -> Route | None:
    """The route decided before any sampling, or None for a pool member. An enterprise whose own non-site check
    raised an alert is visited whatever its measure (a member's self-determined measure included)."""
    if candidate.flagged:
        return Route.FLAGGED
    if candidate.measure not in CHECKABLE:
        return Route.NOT_CHECKED
    if candidate.member:
        return Route.EXEMPT
    if candidate.monitored:
        return Route.NONSITE
    return None


def quota(ratios: Iterable[Fraction], size: int) -> int:
    """The pool's ratios summed and rounded up (exactly), never more than the pool."""
    return min(size, math.ceil(sum(ratios, Fraction(0))))


def seed_of(alert_id: str, candidates: Iterable[Candidate]) -> bytes:
    """SHA-256 over the alert id and every candidate's routing inputs in credit-code order (canonical lines)."""
    digest = hashlib.sha256(f"alert-verification-v1|{alert_id}\n".encode())
    for c in sorted(candidates, key=lambda c: c.credit_code):
        digest.update(f"{c.credit_code}|{c.jurisdiction}|{c.measure}|{c.ratio}|{c.weight_units}|"
                      f"{int(c.monitored)}{int(c.member)}{int(c.flagged)}\n".encode())
    return digest.digest()


def route(candidates: Iterable[Candidate], *, seed: bytes | None, select: Select | None,
          design_pi: Callable[[Mapping[str, int], int], Mapping[str, Fraction]] | None = None) -> Routing:
    """Route every candidate; without a seed (a preview), only the pool sizes and quotas are computed."""
    routing = Routing()
    pools: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        decided = first_route(candidate)
        if decided is None:
            pools[candidate.jurisdiction].append(candidate)
        else:
            routing.routes[candidate.credit_code] = decided
            routing.counts[candidate.jurisdiction][decided.value] += 1
    for jurisdiction, pool in sorted(pools.items()):
        wanted = quota((c.ratio for c in pool), len(pool))
        routing.quotas[jurisdiction] = wanted
        members = {c.credit_code: c.weight_units for c in pool}
        if design_pi is not None:
            routing.pi.update(design_pi(members, wanted))
        if seed is None or select is None:
            routing.counts[jurisdiction][Route.SAMPLED.value] += wanted
            routing.counts[jurisdiction][Route.NOT_SAMPLED.value] += len(pool) - wanted
            continue
        drawn = set(select(members, wanted, seed=seed, number=0, stratum=jurisdiction))
        for c in pool:
            decided = Route.SAMPLED if c.credit_code in drawn else Route.NOT_SAMPLED
            routing.routes[c.credit_code] = decided
            routing.counts[jurisdiction][decided.value] += 1
    return routing
