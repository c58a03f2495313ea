"""Draw protocol v2 (docs/draw-spec.md): canonical JSON, quotas, π, keys, πps selection, teams, vectors."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from draw_vectors import PATH, build

from scheduler import canonical, pips, protocol, teams, verification_v2

VECTORS: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- vectors


def test_the_vectors_file_is_what_the_implementation_gives() -> None:
    assert json.loads(json.dumps(build(), ensure_ascii=False)) == VECTORS, (
        "docs/draw-v2-vectors.json differs: the protocol changed, or the file was edited")


def test_vector_intermediate_values_from_their_definitions() -> None:
    inputs = VECTORS["inputs"]
    document = inputs["commitment"]
    digest = hashlib.sha256(canonical.dumps(document)).hexdigest()
    assert digest == VECTORS["commitment_hash"]
    seed = hashlib.sha256(b"ecoinspect-seed-v2" + bytes.fromhex(digest) + bytes.fromhex(inputs["secret"])
                          + inputs["public_value"].encode()).hexdigest()
    assert seed == VECTORS["seed"]
    for code, key in VECTORS["keys"].items():
        assert hashlib.sha256(bytes.fromhex(seed) + (0).to_bytes(4, "big") + code.encode()).hexdigest() == key
    for case in VECTORS["quota_cases"]:
        assert pips.quota(case["size"], Fraction(case["ratio"]), case["minimum"]) == case["quota"]


def test_vector_document_passes_the_verifier_and_task_order_does_not_matter() -> None:
    document = copy.deepcopy(VECTORS["document"])
    assert all(c.ok for c in verification_v2.verify(document))
    document["teams"] = dict(reversed(list(document["teams"].items())))
    document["redraws"].reverse()
    document["public"]["objects"].reverse()
    assert all(c.ok for c in verification_v2.verify(document))


# --------------------------------------------------------------------------- canonical JSON


def test_canonical_json_sorts_keys_without_spaces_in_utf8() -> None:
    assert canonical.dumps({"b": [1, "中"], "a": None, "c": True}) == '{"a":null,"b":[1,"中"],"c":true}'.encode()


@pytest.mark.parametrize("value", [1.5, {"w": 0.2}, [1, 2.0], {1: "x"}, {"d": b"x"}])
def test_canonical_json_refuses_what_has_no_canonical_form(value: Any) -> None:
    with pytest.raises(canonical.CanonicalError):
        canonical.dumps(value)


# --------------------------------------------------------------------------- weights, ratios, quotas, π


@pytest.mark.parametrize(("text", "units"), [("0.200000", 200_000), ("3.000000", 3_000_000), ("12.000001", 12_000_001)])
def test_weight_units(text: str, units: int) -> None:
    assert pips.weight_units(text) == units


@pytest.mark.parametrize("text", ["0.2", "0.000000", "-1.000000", "1e-06", "01.000000", "1.0000000", " 1.000000"])
def test_weight_units_refuses_other_spellings(text: str) -> None:
    with pytest.raises(pips.DesignError):
        pips.weight_units(text)


@pytest.mark.parametrize(("value", "text"), [(0.05, "0.05"), (0.25, "0.25"), (1.0, "1.0"), (0.0, "0"),
                                             (0.07, "0.07"), (1e-5, "0.00001")])
def test_ratio_text_reads_back_exactly(value: float, text: str) -> None:
    assert pips.ratio_text(value) == text
    assert float(pips.parse_ratio(text)) == value


@pytest.mark.parametrize(("ratio", "size", "expected"), [
    ("0.07", 100, 7), ("0.14", 50, 7), ("0.57", 100, 57), ("0.29", 100, 29), ("0.1", 30, 3),
    ("0.25", 9, 3), ("0.05", 20, 1), ("0.05", 21, 2), ("0.05", 1, 1), ("0", 50, 0), ("1.0", 50, 50)])
def test_quota_is_the_exact_ceiling(ratio: str, size: int, expected: int) -> None:
    assert pips.quota(size, pips.parse_ratio(ratio)) == expected


def test_quota_minimum_and_cap() -> None:
    assert pips.quota(7, Fraction(1, 10), 5) == 5
    assert pips.quota(3, Fraction(1, 2), 5) == 3


def test_pi_is_proportional_to_weight_with_take_all_members() -> None:
    # Red 6 vs blue 1 in a 4-of-10 stratum: proportionality would give 6 × 4/15 > 1, so red is taken for sure.
    design = pips.design([6_000_000] + [1_000_000] * 9, 4)
    assert design.pi(6_000_000) == 1 and design.pi(1_000_000) == Fraction(1, 3)
    assert design.pi(6_000_000) + 9 * design.pi(1_000_000) == 4
    # Without a take-all member π is exactly c·w: three times the weight, three times the probability.
    design = pips.design([3_000_000] * 2 + [1_000_000] * 10, 2)
    assert design.threshold is None and design.pi(3_000_000) == 3 * design.pi(1_000_000) == Fraction(3, 8)


@pytest.mark.parametrize("quota", range(0, 13))
def test_pis_sum_to_the_quota_and_stay_within_one(quota: int) -> None:
    weights = [w * 100_000 for w in (1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)]
    design = pips.design(weights, quota)
    pis = [design.pi(w) for w in weights]
    assert sum(pis) == quota and all(0 <= p <= 1 for p in pis)
    drawn = pips.select({f"m{i}": w for i, w in enumerate(weights)}, quota, seed=b"s" * 32, number=0, stratum="x")
    assert len(drawn) == quota and all(f"m{i}" in drawn for i, p in enumerate(pis) if p == 1)


# --------------------------------------------------------------------------- selection


def test_selection_ignores_the_input_order_and_repeats_are_refused() -> None:
    rows = [(f"C{i:03d}", "a" if i % 3 else "b", (i % 4 + 1) * 500_000) for i in range(40)]
    seed = hashlib.sha256(b"order").digest()
    assert pips.draw(rows, {"a": 5, "b": 3}, seed=seed) == pips.draw(rows[::-1], {"a": 5, "b": 3}, seed=seed)
    with pytest.raises(pips.DesignError):
        pips.draw([*rows, rows[0]], {"a": 1}, seed=seed)


STRATA = {"special": (6, 4), "key": (10, 3), "general": (20, 4)}  # size, quota
SEEDS = 4000
Z_BONFERRONI = 3.4  # the standard normal quantile at 1 − 0.001/3: level 0.001 shared by the three strata


def chi2_quantile(df: int) -> float:
    """The chi-square quantile at 1 − 0.001/3 (Wilson–Hilferty; within 1% of the tables for df ≥ 3)."""
    return df * (1 - 2 / (9 * df) + Z_BONFERRONI * math.sqrt(2 / (9 * df))) ** 3


def test_empirical_inclusion_frequencies_match_the_published_pi() -> None:
    """Over 4,000 seeds, each member is drawn in proportion to its published π (chi-square per stratum)."""
    weights = (500_000, 1_000_000, 2_000_000, 3_000_000, 6_000_000)
    rows = [(f"9161{label[:2]}{i:04d}", label, weights[(i * 7 + len(label)) % 5])
            for label, (size, _) in STRATA.items() for i in range(size)]
    quotas = {label: q for label, (_, q) in STRATA.items()}
    designs = {label: pips.design([w for _, s, w in rows if s == label], q) for label, q in quotas.items()}
    counts: Counter[str] = Counter()
    for i in range(SEEDS):
        for codes in pips.draw(rows, quotas, seed=hashlib.sha256(f"stat-{i}".encode()).digest()).values():
            counts.update(codes)
    for label in STRATA:
        members = [(code, designs[label].pi(w)) for code, s, w in rows if s == label]
        uncertain = [(code, float(p)) for code, p in members if 0 < p < 1]
        for code, p in members:
            if p == 1:
                assert counts[code] == SEEDS, code
        # Each count is binomial(SEEDS, π) (the seeds are independent): Σ z² has mean len(uncertain).
        statistic = sum((counts[code] - SEEDS * p) ** 2 / (SEEDS * p * (1 - p)) for code, p in uncertain)
        assert len(uncertain) >= 3 and statistic < chi2_quantile(len(uncertain)), (label, statistic, counts)


def test_the_frequency_check_can_fail() -> None:
    """Proportional-to-weight claims checked against an equal-probability draw are refused by the same test."""
    weights = [1_000_000] * 5 + [4_000_000] * 5
    design = pips.design(weights, 3)
    counts: Counter[str] = Counter()
    members = {f"m{i}": 1_000_000 for i in range(10)}  # drawn with equal weights …
    for i in range(SEEDS):
        counts.update(pips.select(members, 3, seed=hashlib.sha256(f"f-{i}".encode()).digest(), number=0,
                                  stratum="x"))
    claimed = [float(design.pi(w)) for w in weights]  # … but claimed proportional to 1 and 4
    statistic = sum((counts[f"m{i}"] - SEEDS * p) ** 2 / (SEEDS * p * (1 - p)) for i, p in enumerate(claimed))
    assert statistic > chi2_quantile(10)


def test_a_different_spelling_of_the_public_value_is_refused() -> None:
    pattern = "[0-9] [0-9] [0-9] [0-9] [0-9]"
    assert protocol.announced_value_ok("3 1 4 1 5", pattern)
    for spelling in ("31415", "3 1 4 1 5 ", " 3 1 4 1 5", "3,1,4,1,5", "3  1 4 1 5", "３ １ ４ １ ５", ""):
        assert not protocol.announced_value_ok(spelling, pattern), spelling


# --------------------------------------------------------------------------- teams


def _inspector(staff: str, divisions: tuple[str, ...], *, load: int = 0, conflicts: tuple[str, ...] = (),
               expires: str = "2030-01-01", on_post: bool = True) -> teams.Inspector:
    return teams.Inspector(staff, divisions, expires, on_post, frozenset(conflicts), frozenset(), load)


def test_teams_take_open_loads_recusals_and_certificates_into_account() -> None:
    pool = [_inspector("A", ("610100",), load=5), _inspector("B", ("610100",)), _inspector("C", ("610100",)),
            _inspector("D", ("610100",), expires="2026-12-31"), _inspector("E", ("610100",), on_post=False),
            _inspector("F", ("610100",), conflicts=("X1",))]
    result = teams.assign({"X1": ["610102", "610100"], "X2": ["610103", "610100"]}, pool, seed=b"\0" * 32,
                          number=0, day="2027-01-01", team_size=2)
    assert set(result.teams["X1"]) == {"B", "C"}  # A is loaded, D expired, E off post, F recused
    assert "A" not in result.teams["X2"]


def test_unstaffed_tasks_get_a_code() -> None:
    pool = [_inspector("A", ("610100",), conflicts=("X1",)), _inspector("B", ("610100",))]
    result = teams.assign({"X1": ["610100"], "X2": ["610200"], "X3": ["610100"]}, pool, seed=b"\0" * 32,
                          number=0, day="2027-01-01", team_size=2)
    assert result.unstaffed == {"X1": "RECUSALS", "X2": "NO_LOCAL_INSPECTOR"} and result.teams["X3"] == ["A", "B"]
    alone = teams.assign({"X1": ["610100"]}, pool[1:], seed=b"\0" * 32, number=0, day="2027-01-01", team_size=2)
    assert alone.unstaffed == {"X1": "TOO_FEW_LOCAL"}


def test_balanced_loads_within_one() -> None:
    pool = [_inspector(f"S{i}", ("610100",), load=i % 3) for i in range(9)]
    tasks = {f"T{i:03d}": ["610100"] for i in range(40)}
    result = teams.assign(tasks, pool, seed=b"\1" * 32, number=0, day="2027-01-01", team_size=2)
    assert max(result.loads.values()) - min(result.loads.values()) <= 1
    assert math.fsum(result.loads.values()) == sum(i % 3 for i in range(9)) + 80
