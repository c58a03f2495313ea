"""Unit tests for the deterministic demo data generator (enterprises, inspectors, matters)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from core.demo import enterprises
from core.demo.generator import (
    DEMO_INSPECTORS,
    generate_enterprises,
    generate_inspectors,
    matters,
)
from core.reference import tables
from core.registry import credit_code
from core.registry.models import Matter
from core.registry.rows import (
    ENTERPRISE_COLUMNS,
    INSPECTOR_COLUMNS,
    enterprise_from_row,
    inspector_from_row,
)

TODAY = date(2026, 11, 28)
HEAVY = {"cement", "steel", "coking", "glass", "bricks", "chemical", "petrochemical",
         "nonferrous", "power"}
LIVELIHOOD = {"food", "livestock", "gas", "heating", "medical", "power", "wastewater"}
EXCLUDED = {"waste_incineration", "hazardous_waste", "wastewater"}
CITIES = {code for code, d in tables.divisions().items() if d.parent is not None}

Row = dict[str, str]


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return list(generate_enterprises(2000, today=TODAY))


@pytest.fixture(scope="module")
def many() -> list[Row]:
    return list(generate_enterprises(20_000, seed=7, today=TODAY))


def share(items: Sequence[Any], keep: Callable[[Any], bool]) -> float:
    return sum(1 for item in items if keep(item)) / len(items)


def sector(row: Row) -> str:
    return tables.industries()[row["industry_code"]].sector


def day(text: str) -> date:
    return date.fromisoformat(text)


def plus_years(start: date, years: int) -> date:
    """The last day of a validity of ``years`` calendar years starting on ``start``."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:
        anniversary = date(start.year + years, 3, 1)
    return anniversary - timedelta(days=1)


# --- enterprises -----------------------------------------------------------------------------


def test_every_row_has_the_columns_as_strings_and_parses(rows: list[Row]) -> None:
    assert len(rows) == 2000
    for row in rows:
        assert list(row) == ENTERPRISE_COLUMNS
        assert all(isinstance(value, str) for value in row.values())
        record = enterprise_from_row(row)
        assert record.credit_code == row["credit_code"]
        assert record.location is not None


def test_credit_codes_are_unique_valid_and_name_the_division(many: list[Row]) -> None:
    codes = [row["credit_code"] for row in many]
    assert len(set(codes)) == len(codes)
    for row in many:
        code = row["credit_code"]
        assert credit_code.problem(code) is None
        assert code.startswith("91")
        assert code[2:8] == row["jurisdiction"]


def test_credit_codes_stay_unique_far_into_a_large_run() -> None:
    plan = enterprises._plan(random.Random(1), TODAY)
    indices = [*range(5000), *range(999_000, 1_000_000), *range(10**9, 10**9 + 1000)]
    codes = {enterprises._credit_code(plan, index, "610100") for index in indices}
    assert len(codes) == len(indices)
    assert all(credit_code.problem(code) is None for code in codes)


def test_same_seed_gives_the_same_rows_and_another_seed_differs() -> None:
    first = list(generate_enterprises(300, seed=11, today=TODAY))
    again = list(generate_enterprises(300, seed=11, today=TODAY))
    other = list(generate_enterprises(300, seed=12, today=TODAY))
    assert first == again
    assert first != other
    assert [r["credit_code"] for r in first] != [r["credit_code"] for r in other]
    assert [r["name"] for r in first] != [r["name"] for r in other]


def test_generation_is_lazy_and_rejects_negative_counts() -> None:
    stream = generate_enterprises(10**12, today=TODAY)
    assert isinstance(stream, Iterator)
    assert list(next(stream)) == ENTERPRISE_COLUMNS
    with pytest.raises(ValueError, match="negative"):
        list(generate_enterprises(-1, today=TODAY))


def test_credit_tiers_follow_guangdong_2017(many: list[Row]) -> None:
    rated = [row for row in many if row["credit_tier"]]
    assert abs(len(rated) / len(many) - 0.80) < 0.015
    targets = {"red": 0.0245, "yellow": 0.10, "blue": 0.7368, "green": 0.1387}
    tiers = Counter(row["credit_tier"] for row in rated)
    assert set(tiers) == set(targets)
    for tier, target in targets.items():
        assert abs(tiers[tier] / len(rated) - target) < (0.006 if tier == "red" else 0.012), tier
    unrated = [row for row in many if not row["credit_tier"]]
    assert all(not row["credit_rated_on"] and not row["credit_published"] for row in unrated)


def test_ratings_are_recent_and_some_are_unpublished_drafts(many: list[Row]) -> None:
    rated = [row for row in many if row["credit_tier"]]
    assert all(TODAY - timedelta(days=730) <= day(r["credit_rated_on"]) <= TODAY for r in rated)
    drafts = [row for row in rated if row["credit_published"] == "false"]
    assert abs(len(drafts) / len(rated) - 0.05) < 0.01
    assert all(enterprise_from_row(row).credit.published is False for row in drafts[:50])


def test_all_thirteen_jurisdictions_with_xian_largest(many: list[Row]) -> None:
    counts = Counter(row["jurisdiction"] for row in many)
    assert set(counts) == CITIES
    assert len(CITIES) == 13
    assert counts.most_common(1)[0][0] == "610100"
    assert abs(counts["610100"] / len(many) - 0.25) < 0.02
    assert counts["610403"] / len(many) < 0.04
    assert counts["610581"] / len(many) < 0.05


def test_coordinates_lie_in_the_division_box(many: list[Row]) -> None:
    for row in many:
        division = tables.divisions()[row["jurisdiction"]]
        assert division.lon[0] <= float(row["lon"]) <= division.lon[1]
        assert division.lat[0] <= float(row["lat"]) <= division.lat[1]
        assert division.name in row["address"]


def test_about_a_tenth_have_a_small_closed_square_boundary(many: list[Row]) -> None:
    bounded = [row for row in many if row["boundary"]]
    assert abs(len(bounded) / len(many) - 0.10) < 0.015
    for row in bounded:
        shape = json.loads(row["boundary"])
        assert shape["type"] == "Polygon"
        (ring,) = shape["coordinates"]
        assert len(ring) == 5
        assert ring[0] == ring[-1]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        assert min(lons) < float(row["lon"]) < max(lons)
        assert min(lats) < float(row["lat"]) < max(lats)
        assert 0.0013 < max(lats) - min(lats) < 0.0023  # about 150-250 m north-south
    assert enterprise_from_row(bounded[0]).boundary is not None


def test_key_dischargers_permits_and_monitoring(many: list[Row]) -> None:
    key = [row for row in many if row["key_discharger"] == "true"]
    other = [row for row in many if row["key_discharger"] == "false"]
    assert len(key) + len(other) == len(many)
    assert abs(len(key) / len(many) - 0.15) < 0.015
    assert abs(share(many, lambda r: bool(r["permit_number"])) - 0.85) < 0.015
    assert share(key, lambda r: r["online_monitoring"] == "true") > 0.85
    assert abs(share(other, lambda r: r["online_monitoring"] == "true") - 0.30) < 0.02
    assert share(key, lambda r: sector(r) in HEAVY) > share(other, lambda r: sector(r) in HEAVY)


def test_permits_run_five_years_and_mostly_cover_today(many: list[Row]) -> None:
    permitted = [row for row in many if row["permit_number"]]
    for row in permitted:
        start = day(row["permit_valid_from"])
        assert start <= TODAY
        assert day(row["permit_valid_to"]) == plus_years(start, 5)
        assert row["permit_number"].startswith(row["credit_code"])
    assert share(permitted, lambda r: day(r["permit_valid_to"]) >= TODAY) > 0.95


def test_performance_grades_only_in_heavy_sectors(many: list[Row]) -> None:
    heavy = [row for row in many if sector(row) in HEAVY]
    light = [row for row in many if sector(row) not in HEAVY]
    assert all(row["performance_grade"] == "none" for row in light)
    assert all(row["performance_leading"] == "false" for row in heavy)
    grades = Counter(row["performance_grade"] for row in heavy)
    targets = {"A+": 0.02, "A": 0.10, "B": 0.35, "C": 0.40, "D": 0.13}
    assert set(grades) == set(targets)
    for grade, target in targets.items():
        assert abs(grades[grade] / len(heavy) - target) < 0.03, grade
    assert abs(share(light, lambda r: r["performance_leading"] == "true") - 0.20) < 0.02


def test_guarantee_status_only_for_livelihood_sectors(many: list[Row]) -> None:
    guaranteed = [row for row in many if row["guarantee_approved_by"]]
    assert abs(len(guaranteed) / len(many) - 0.03) < 0.008
    approvers = set()
    for row in guaranteed:
        assert sector(row) in LIVELIHOOD
        city = tables.divisions()[row["jurisdiction"]].name
        assert row["guarantee_approved_by"] in {"陕西省生态环境厅", f"{city}生态环境局"}
        approvers.add(row["guarantee_approved_by"] == "陕西省生态环境厅")
        start = day(row["guarantee_valid_from"])
        assert day(row["guarantee_valid_to"]) == plus_years(start, 1)
    assert approvers == {True, False}


def test_emergency_risk_levels(many: list[Row]) -> None:
    key = [row for row in many if row["key_discharger"] == "true"]
    levels = Counter(row["emergency_risk"] for row in key)
    assert levels[""] == 0
    for level, target in {"general": 0.70, "larger": 0.25, "major": 0.05}.items():
        assert abs(levels[level] / len(key) - target) < 0.04, level
    other = Counter(row["emergency_risk"] for row in many if row["key_discharger"] == "false")
    assert other["major"] == 0
    assert other[""] + other["general"] > 0.95 * sum(other.values())


def test_positive_list_only_for_eligible_enterprises(many: list[Row]) -> None:
    def eligible(row: Row) -> bool:
        return (row["credit_tier"] in {"green", "blue"} and row["online_monitoring"] == "true"
                and sector(row) not in EXCLUDED and bool(row["permit_number"]))

    listed = [row for row in many if row["positive_list_from"]]
    assert listed
    assert all(eligible(row) for row in listed)
    pool = [row for row in many if eligible(row)]
    assert abs(len(listed) / len(pool) - 0.08) < 0.02
    for row in listed:
        start = day(row["positive_list_from"])
        assert start <= TODAY
        assert day(row["positive_list_to"]) == plus_years(start, 3)


# --- inspectors ------------------------------------------------------------------------------


def test_inspectors_number_about_one_per_thirty_and_parse() -> None:
    inspectors = list(generate_inspectors(6000, seed=3, today=TODAY))
    assert abs(len(inspectors) - 200) <= 20
    ids = [row["staff_id"] for row in inspectors]
    assert len(set(ids)) == len(ids)
    for row in inspectors:
        assert list(row) == INSPECTOR_COLUMNS
        assert re.fullmatch(r"SX-6\d{5}-\d{4}", row["staff_id"])
        record = inspector_from_row(row)
        assert row["staff_id"][3:9] in record.jurisdictions
    province = [row for row in inspectors if row["jurisdictions"] == tables.root_code()]
    assert 2 <= len(province) <= 10


def test_every_jurisdiction_gets_at_least_two_inspectors() -> None:
    inspectors = list(generate_inspectors(30, seed=3, today=TODAY))
    counts = Counter(row["staff_id"][3:9] for row in inspectors)
    assert set(counts) == CITIES | {tables.root_code()}
    assert min(counts.values()) >= 2


def test_some_inspectors_are_expired_or_off_post() -> None:
    records = [inspector_from_row(r) for r in generate_inspectors(30_000, seed=5, today=TODAY)]
    expired = share(records, lambda r: r.certificate_expires < TODAY)
    off_post = share(records, lambda r: not r.on_post)
    assert 0.03 < expired < 0.07
    assert 0.03 < off_post < 0.07
    assert len({r.certificate_number for r in records}) == len(records)


@pytest.mark.parametrize(("count", "seed"), [(0, 1), (30, 2), (5000, 20261128), (40_000, 99)])
def test_demo_inspectors_are_always_certified_xian_staff(count: int, seed: int) -> None:
    sample = [row["credit_code"] for row in generate_enterprises(50, seed=seed, today=TODAY)]
    rows = {row["staff_id"]: row for row in generate_inspectors(
        count, seed=seed, today=TODAY, enterprise_codes_sample=sample)}
    assert len(DEMO_INSPECTORS) == 2
    for staff_id in DEMO_INSPECTORS:
        record = inspector_from_row(rows[staff_id])
        assert record.jurisdictions == ["610100"]
        assert record.certified_on(TODAY)
        assert record.certified_on(TODAY + timedelta(days=365))
        assert record.conflicts == []


def test_conflicts_come_from_the_sample_and_only_change_conflicts() -> None:
    sample = [row["credit_code"] for row in generate_enterprises(100, seed=4, today=TODAY)]
    plain = list(generate_inspectors(30_000, seed=4, today=TODAY))
    with_sample = list(generate_inspectors(30_000, seed=4, today=TODAY,
                                           enterprise_codes_sample=sample))
    assert all(row["conflicts"] == "" for row in plain)
    declared = [row for row in with_sample if row["conflicts"]]
    assert 0.015 < len(declared) / len(with_sample) < 0.045
    assert all(row["conflicts"] in sample for row in declared)
    assert inspector_from_row(declared[0]).conflicts == [declared[0]["conflicts"]]
    strip = [{k: v for k, v in row.items() if k != "conflicts"} for row in with_sample]
    assert strip == [{k: v for k, v in row.items() if k != "conflicts"} for row in plain]


def test_inspectors_are_deterministic() -> None:
    first = list(generate_inspectors(3000, seed=8, today=TODAY))
    assert first == list(generate_inspectors(3000, seed=8, today=TODAY))
    assert first != list(generate_inspectors(3000, seed=9, today=TODAY))


# --- matters ---------------------------------------------------------------------------------


def test_matters_validate_and_cover_the_xiaogan_examples() -> None:
    items = [Matter.model_validate(item) for item in matters()]
    assert len(items) >= 6
    assert len({item.code for item in items}) == len(items)
    assert {item.method.value for item in items} >= {"on_site", "documentary"}
    assert any(item.key_item and item.frequency.value == "quarterly" and item.default_ratio == 0.05
               for item in items)
    assert any("危险废物" in item.name and item.default_ratio == 1.0
               and item.frequency.value == "yearly" for item in items)
    assert any(item.method.value == "documentary" and item.frequency.value == "twice_yearly"
               for item in items)


def test_matters_returns_a_fresh_list() -> None:
    first = matters()
    original = first[0]["code"]
    first[0]["code"] = "CHANGED"
    first.clear()
    again = matters()
    assert len(again) >= 6
    assert again[0]["code"] == original
