"""The routing of an alert's verification: order of the routes, exact quotas, the sample's inclusion probabilities."""

from __future__ import annotations

import hashlib
from collections import Counter
from fractions import Fraction

from core.alerts.verification import Candidate, Route, first_route, quota, route, seed_of, weight_units
from scheduler import alert_sample


def candidate(code: str, *, measure: str = "halt", ratio: str = "0.1", weight: float = 1.0, jurisdiction: str = "610100",
              **flags: bool) -> Candidate:
    return Candidate(credit_code=code, jurisdiction=jurisdiction, measure=measure, ratio=Fraction(ratio),
                     weight_units=weight_units(weight), **flags)


def test_routes_are_decided_flag_first_then_membership_then_monitoring() -> None:
    assert first_route(candidate("a", measure="self_determined", flagged=True)) is Route.FLAGGED
    assert first_route(candidate("a", measure="self_determined", member=True)) is Route.NOT_CHECKED
    assert first_route(candidate("a", flagged=True, member=True, monitored=True)) is Route.FLAGGED
    assert first_route(candidate("a", member=True, monitored=True)) is Route.EXEMPT
    assert first_route(candidate("a", monitored=True)) is Route.NONSITE
    assert first_route(candidate("a", measure="reduce")) is None  # the pool


def test_the_quota_is_the_exact_sum_of_the_ratios_rounded_up() -> None:
    assert quota([Fraction("0.1")] * 10, 10) == 1  # 0.1 ten times is 1 exactly, not 1.0000000000000002
    assert quota([Fraction("0.1")] * 11, 11) == 2
    assert quota([Fraction("0.3")] * 2, 2) == 1
    assert quota([Fraction(1)] * 3, 2) == 2  # never more than the pool
    assert quota([], 0) == 0


def test_a_preview_counts_without_drawing_and_the_draw_fills_each_quota() -> None:
    pool = [candidate(f"x{n:02d}", ratio="0.25") for n in range(8)] + [
        candidate(f"y{n:02d}", ratio="0.5", jurisdiction="610300") for n in range(3)]
    preview = route(pool, seed=None, select=None)
    assert preview.routes == {} and preview.quotas == {"610100": 2, "610300": 2}
    drawn = route(pool, seed=b"s" * 32, select=alert_sample.select)
    assert Counter(drawn.routes.values()) == {Route.SAMPLED: 4, Route.NOT_SAMPLED: 7}
    assert drawn.preview() == preview.preview()  # same numbers before and after the draw
    again = route(pool, seed=b"s" * 32, select=alert_sample.select)
    assert again.routes == drawn.routes  # reproducible from the seed


def test_the_seed_commits_to_every_routing_input() -> None:
    base = [candidate("a"), candidate("b")]
    seeds = {seed_of("alert-1", base), seed_of("alert-2", base), seed_of("alert-1", [candidate("a"), candidate(
        "b", monitored=True)]), seed_of("alert-1", [candidate("a"), candidate("b", weight=2.0)])}
    assert len(seeds) == 4
    assert seed_of("alert-1", list(reversed(base))) == seed_of("alert-1", base)  # order does not matter


def test_inclusion_frequencies_follow_the_published_probabilities() -> None:
    weights = {"d1": 3.0, "d2": 3.0, "c1": 2.0, "b1": 1.0, "b2": 1.0, "b3": 1.0, "a1": 0.5, "a2": 0.5}
    pool = [candidate(code, ratio="0.25", weight=w) for code, w in weights.items()]
    pis = route(pool, seed=None, select=None, design_pi=alert_sample.inclusion).pi
    assert sum(pis.values()) == 2 and pis["d1"] == 3 * pis["b1"] == 6 * pis["a1"]
    runs = 4000
    hits: Counter[str] = Counter()
    for n in range(runs):
        seed = hashlib.sha256(f"run {n}".encode()).digest()
        routing = route(pool, seed=seed, select=alert_sample.select)
        hits.update(code for code, r in routing.routes.items() if r is Route.SAMPLED)
    # Chi-square over the 8 members (each a Bernoulli(π) per run): below the 0.1% critical value for 8 d.o.f.
    statistic = sum((hits[c] - runs * float(p)) ** 2 / (runs * float(p) * (1 - float(p))) for c, p in pis.items())
    assert statistic < 26.12, (statistic, hits, pis)
