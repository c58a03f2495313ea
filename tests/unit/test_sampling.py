"""Stratified weighted sampling (es-exp-pcg64-v1): golden draws, quotas, errors and distribution."""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from scheduler import randomness, sampling
from scheduler.sampling import Population, SamplingError

STRATA = ("special", "key", "general")
WEIGHTS = (0.5, 1.0, 2.0, 3.0)
SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0" * 2

# Chi-square critical values at the 0.999 quantile (standard tables; scipy.stats.chi2.ppf(0.999, df)).
# A correct sampler fails one of these tests with probability 0.001; the seeds are fixed, so the
# outcome is deterministic.
CHI2_999 = {3: 16.266, 4: 18.467, 5: 20.515, 9: 27.877}
Z_BOUND = 4.0  # per-object binomial bound, in standard deviations


def rows() -> list[tuple[str, str, float]]:
    """30 objects: 6 special, 9 key, 15 general, weights cycling 0.5, 1, 2, 3; listed out of order."""
    listing = [(f"9161000000000{i:04d}X", STRATA[0] if i % 10 < 2 else STRATA[1] if i % 10 < 5 else STRATA[2],
                WEIGHTS[i % 4]) for i in range(30)]
    return listing[::-1]


def population() -> Population:
    return Population.from_rows(rows())


def seed_for(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def stat_seeds(count: int, label: str) -> list[str]:
    return [seed_for(f"{label}-{i}") for i in range(count)]


# --------------------------------------------------------------------------- golden draws


def test_population_is_in_canonical_order() -> None:
    pop = population()
    assert list(pop.ids) == sorted(r[0] for r in rows())
    assert list(pop.labels) == ["general", "key", "special"]
    assert pop.sizes() == {"general": 15, "key": 9, "special": 6}
    assert pop.weights.tolist() == [WEIGHTS[i % 4] for i in range(30)]


def test_golden_draw_a() -> None:
    drawn = sampling.draw(population(), {"special": 2, "key": 3, "general": 5}, "a" * 64)
    assert drawn == {
        "general": ["91610000000000005X", "91610000000000015X", "91610000000000025X", "91610000000000026X",
                    "91610000000000028X"],
        "key": ["91610000000000003X", "91610000000000023X", "91610000000000024X"],
        "special": ["91610000000000011X", "91610000000000020X"],
    }


def test_golden_draw_b() -> None:
    drawn = sampling.draw(population(), {"special": 2, "key": 3, "general": 5}, seed_for("golden-2"))
    assert drawn == {
        "general": ["91610000000000006X", "91610000000000009X", "91610000000000015X", "91610000000000019X",
                    "91610000000000026X"],
        "key": ["91610000000000002X", "91610000000000013X", "91610000000000014X"],
        "special": ["91610000000000010X", "91610000000000011X"],
    }


def test_golden_indices() -> None:
    drawn = sampling.draw_indices(population(), {"special": 6, "key": 4, "general": 2}, "a" * 64)
    assert {k: v.tolist() for k, v in drawn.items()} == {
        "general": [5, 26], "key": [3, 14, 23, 24], "special": [0, 1, 10, 11, 20, 21]}


def test_golden_end_to_end_from_secret_and_public_value() -> None:
    listing = sorted(rows())
    seed = randomness.derive_seed(secret_hex=SECRET, population_digest=randomness.population_hash(listing),
                                  plan_id="plan-golden", public_value="福彩3D 2026330: 4 1 7")
    pop = Population.from_rows(listing)
    quotas = sampling.quotas(pop.sizes(), {"special": 1.0, "key": 0.25, "general": 0.05})
    assert quotas == {"general": 1, "key": 3, "special": 6}
    assert sampling.draw(pop, quotas, seed) == {
        "general": ["91610000000000018X"],
        "key": ["91610000000000002X", "91610000000000003X", "91610000000000022X"],
        "special": ["91610000000000000X", "91610000000000001X", "91610000000000010X", "91610000000000011X",
                    "91610000000000020X", "91610000000000021X"],
    }


def test_draw_follows_the_published_algorithm() -> None:
    """An independent re-implementation of the module docstring gives the same positions."""
    pop = population()
    for label in ("x", "y", "z"):
        seed = seed_for(label)
        quotas = {"special": 3, "key": 4, "general": 7}
        clocks = np.random.Generator(np.random.PCG64(randomness.substream(seed, "objects"))) \
            .standard_exponential(30) / pop.weights
        expected = {}
        for code, name in enumerate(pop.labels):
            members = [i for i in range(30) if pop.codes[i] == code]
            expected[name] = sorted(sorted(members, key=lambda i: clocks[i])[:quotas[name]])
        assert {k: v.tolist() for k, v in sampling.draw_indices(pop, quotas, seed).items()} == expected


def test_algorithm_name_is_pinned() -> None:
    assert sampling.ALGORITHM == "es-exp-pcg64-v1"


# --------------------------------------------------------------------------- draw properties


def test_exact_stratum_sizes_no_repeats_canonical_order() -> None:
    pop = population()
    stratum_of = {r[0]: r[1] for r in rows()}
    quotas = {"special": 4, "key": 9, "general": 6}
    for i in range(50):
        drawn = sampling.draw(pop, quotas, seed_for(f"prop-{i}"))
        assert set(drawn) == {"special", "key", "general"}
        for stratum, ids in drawn.items():
            assert len(ids) == quotas[stratum]
            assert len(set(ids)) == len(ids)
            assert ids == sorted(ids)
            assert all(stratum_of[i] == stratum for i in ids)


def test_full_and_empty_quotas() -> None:
    pop = population()
    drawn = sampling.draw(pop, {"special": 6}, "b" * 64)  # key and general missing → 0
    assert drawn["special"] == sorted(r[0] for r in rows() if r[1] == "special")
    assert drawn["key"] == [] and drawn["general"] == []


def test_deterministic_for_a_seed_and_different_for_another() -> None:
    pop = population()
    quotas = {"special": 2, "key": 3, "general": 5}
    assert sampling.draw(pop, quotas, "c" * 64) == sampling.draw(population(), dict(quotas), "c" * 64)
    assert sampling.draw(pop, quotas, "c" * 64) != sampling.draw(pop, quotas, "d" * 64)
    distinct = {str(sampling.draw(pop, quotas, seed_for(f"many-{i}"))) for i in range(30)}
    assert len(distinct) >= 25


def test_input_order_does_not_matter() -> None:
    a = sampling.draw(Population.from_rows(rows()), {"key": 4, "general": 4}, "e" * 64)
    b = sampling.draw(Population.from_rows(sorted(rows())), {"key": 4, "general": 4}, "e" * 64)
    assert a == b


def test_strata_are_drawn_independently_and_draws_are_nested() -> None:
    pop = population()
    seed = seed_for("nested")
    base = sampling.draw(pop, {"special": 2, "key": 3, "general": 5}, seed)
    # Another stratum's quota does not move this stratum's draw (one clock per object).
    assert sampling.draw(pop, {"special": 5, "key": 3, "general": 1}, seed)["key"] == base["key"]
    # One more drawn keeps the ones already drawn (the quota smallest clocks).
    previous: set[str] = set()
    for quota in range(16):
        current = set(sampling.draw(pop, {"general": quota}, seed)["general"])
        assert previous <= current and len(current) == quota
        previous = current


def test_a_heavy_object_is_drawn_first() -> None:
    heavy = Population.from_rows([("a", "s", 1.0), ("b", "s", 1e9), ("c", "s", 1.0)])
    for i in range(20):
        assert sampling.draw(heavy, {"s": 1}, seed_for(f"heavy-{i}")) == {"s": ["b"]}


# --------------------------------------------------------------------------- quotas


@pytest.mark.parametrize(("ratio", "size", "expected"), [
    (0.25, 8, 2),  # exact integer product stays
    (0.25, 9, 3),  # 2.25 rounds up
    (0.07, 100, 7),  # 7.000000000000001 in floating point
    (0.14, 50, 7),  # 7.000000000000001 in floating point
    (0.57, 100, 57),  # 56.99999999999999 in floating point
    (0.29, 100, 29),  # 28.999999999999996 in floating point
    (0.05, 20, 1),
    (0.05, 21, 2),
    (0.05, 1, 1),  # any positive ratio draws at least one
    (0.0, 50, 0),
    (1.0, 50, 50),
    (1.0, 0, 0),
    (0.5, 0, 0),
])
def test_quota_is_ceil_of_ratio_times_size(ratio: float, size: int, expected: int) -> None:
    assert sampling.quotas({"s": size}, {"s": ratio}) == {"s": expected}


def test_quotas_per_stratum_with_minimums_capped_at_size() -> None:
    sizes = {"special": 3, "key": 40, "general": 1000, "other": 10}
    ratios = {"special": 1.0, "key": 0.25, "general": 0.05}
    assert sampling.quotas(sizes, ratios) == {"general": 50, "key": 10, "other": 0, "special": 3}
    minimums = {"key": 12, "general": 20, "other": 4, "special": 5, "absent": 9}
    assert sampling.quotas(sizes, ratios, minimums) == {"general": 50, "key": 12, "other": 4, "special": 3}
    assert sampling.quotas({"s": 7}, {"s": 0.1}, {"s": 100}) == {"s": 7}


@pytest.mark.parametrize("ratio", [-0.01, 1.01, 2.0, math.nan, math.inf, -math.inf])
def test_ratio_outside_unit_interval(ratio: float) -> None:
    with pytest.raises(SamplingError) as caught:
        sampling.quotas({"s": 10}, {"s": ratio})
    assert caught.value.code == "INVALID_RATIO"


# --------------------------------------------------------------------------- errors


def test_empty_population() -> None:
    with pytest.raises(SamplingError) as caught:
        sampling.draw(Population.from_rows([]), {}, "a" * 64)
    assert caught.value.code == "EMPTY_POPULATION"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("weight", [0.0, -1.0, -0.0, math.nan, math.inf, -math.inf])
def test_invalid_weight(weight: float) -> None:
    pop = Population.from_rows([("a", "s", 1.0), ("b", "s", weight), ("c", "t", 1.0)])
    with pytest.raises(SamplingError) as caught:
        sampling.draw(pop, {"s": 1}, "a" * 64)
    assert caught.value.code == "INVALID_WEIGHT"


@pytest.mark.parametrize("quota", [7, 100, -1])
def test_invalid_quota(quota: int) -> None:
    with pytest.raises(SamplingError) as caught:
        sampling.draw(population(), {"special": quota}, "a" * 64)
    assert caught.value.code == "INVALID_QUOTA"


@pytest.mark.parametrize(("ids", "codes", "weights"), [
    (["a", "b"], [0], [1.0, 1.0]),
    (["a"], [0, 0], [1.0, 1.0]),
    (["a", "b"], [0, 0], [1.0]),
])
def test_mismatched_lengths(ids: list[str], codes: list[int], weights: list[float]) -> None:
    with pytest.raises(SamplingError) as caught:
        Population(ids=ids, codes=np.array(codes, dtype=np.int32), labels=["s"],
                   weights=np.array(weights, dtype=np.float64))
    assert caught.value.code == "INVALID_POPULATION"


# --------------------------------------------------------------------------- distribution


def chi_square(observed: Sequence[int], probabilities: Sequence[float]) -> float:
    total = sum(observed)
    return sum((o - total * p) ** 2 / (total * p) for o, p in zip(observed, probabilities, strict=True))


def ordered_probabilities(weights: Sequence[float], k: int) -> dict[tuple[int, ...], float]:
    """Exact probability of every ordered k-tuple under successive sampling without replacement."""
    result = {}
    for order in itertools.permutations(range(len(weights)), k):
        p, remaining = 1.0, float(sum(weights))
        for i in order:
            p *= weights[i] / remaining
            remaining -= weights[i]
        result[order] = p
    return result


def set_probabilities(weights: Sequence[float], k: int) -> dict[frozenset[int], float]:
    sets: dict[frozenset[int], float] = Counter()
    for order, p in ordered_probabilities(weights, k).items():
        sets[frozenset(order)] += p
    return dict(sets)


def drawn_sets(weights: Sequence[float], k: int, seeds: Sequence[str]) -> Counter[frozenset[int]]:
    pop = Population.from_rows([(f"o{i}", "s", w) for i, w in enumerate(weights)])
    counts: Counter[frozenset[int]] = Counter()
    for seed in seeds:
        counts[frozenset(sampling.draw_indices(pop, {"s": k}, seed)["s"].tolist())] += 1
    return counts


def test_helpers_enumerate_exactly() -> None:
    probabilities = set_probabilities([1, 2, 3, 4], 2)
    assert math.isclose(sum(probabilities.values()), 1.0)
    assert math.isclose(probabilities[frozenset({0, 1})], 1 / 10 * 2 / 9 + 2 / 10 * 1 / 8)
    assert chi_square([10, 10], [0.5, 0.5]) == 0.0
    assert chi_square([20, 0], [0.5, 0.5]) == 20.0


def test_equal_weights_draw_uniformly() -> None:
    counts = drawn_sets([1.0] * 5, 1, stat_seeds(4000, "uniform"))
    observed = [counts[frozenset({i})] for i in range(5)]
    assert sum(observed) == 4000
    assert chi_square(observed, [0.2] * 5) < CHI2_999[4], observed


def test_first_draw_is_proportional_to_weight() -> None:
    weights = [1.0, 2.0, 3.0, 4.0]
    counts = drawn_sets(weights, 1, stat_seeds(8000, "first"))
    observed = [counts[frozenset({i})] for i in range(4)]
    assert chi_square(observed, [w / sum(weights) for w in weights]) < CHI2_999[3], observed


def test_first_draw_is_not_uniform_when_weights_differ() -> None:
    # The same test has power: uniform expectations are rejected for weights 1..4.
    counts = drawn_sets([1.0, 2.0, 3.0, 4.0], 1, stat_seeds(8000, "first"))
    observed = [counts[frozenset({i})] for i in range(4)]
    assert chi_square(observed, [0.25] * 4) > CHI2_999[3], observed


def inclusion_check(weights: Sequence[float], k: int, runs: int, label: str, df: int) -> None:
    counts = drawn_sets(weights, k, stat_seeds(runs, label))
    exact = set_probabilities(weights, k)
    cells = sorted(exact, key=sorted)
    assert set(counts) <= set(exact)
    assert chi_square([counts[c] for c in cells], [exact[c] for c in cells]) < CHI2_999[df]
    inclusion = [sum(p for s, p in exact.items() if i in s) for i in range(len(weights))]
    assert math.isclose(sum(inclusion), k)
    frequency = [sum(n for s, n in counts.items() if i in s) for i in range(len(weights))]
    for i, p in enumerate(inclusion):
        sigma = math.sqrt(runs * p * (1 - p))
        assert abs(frequency[i] - runs * p) < Z_BOUND * sigma, (i, frequency[i], runs * p)
    # Heavier objects are included more often (weights given in increasing order, distinct).
    distinct = [i for i in range(len(weights)) if weights.count(weights[i]) == 1]
    assert [frequency[i] for i in distinct] == sorted(frequency[i] for i in distinct)


def test_two_of_four_match_successive_sampling() -> None:
    inclusion_check([1.0, 2.0, 3.0, 4.0], 2, 8000, "pairs", df=5)


def test_three_of_five_match_successive_sampling() -> None:
    inclusion_check([0.5, 1.0, 2.0, 3.0, 5.0], 3, 6000, "triples", df=9)


def test_inclusion_is_not_proportional_to_weight() -> None:
    # Sanity of the reference: without replacement, inclusion is below k·w/Σw for the heaviest.
    exact = set_probabilities([1.0, 2.0, 3.0, 4.0], 2)
    heaviest = sum(p for s, p in exact.items() if 3 in s)
    assert heaviest < 2 * 4 / 10
