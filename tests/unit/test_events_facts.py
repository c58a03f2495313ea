"""Event history → counted facts over their windows; penalty amounts, violation facts and statutory ranges."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from core.events.models import history_facts
from core.reference import tables
from rules import packs
from rules.engine import Engine
from rules.model import parse
from rules.penalties import ViolationCase, amount
from rules.vocabulary import VIOLATION_TYPES

DAY = date(2026, 6, 15)  # the year before it holds no 29 February: 12 months = 365 days
LEAP_DAY = date(2024, 6, 15)  # the year before it holds 29 February 2024: 12 months = 366 days


def event(kind: str, days_ago: int, *, ends_days_ago: int | None = None, day: date = DAY) -> dict[str, Any]:
    ends = None if ends_days_ago is None else (day - timedelta(days=ends_days_ago)).isoformat()
    return {"kind": kind, "occurred_on": (day - timedelta(days=days_ago)).isoformat(), "ends_on": ends}


@pytest.mark.parametrize(("kind", "fact", "days_ago", "expected"), [
    ("penalty", "penalties_12m", 0, 1),  # today counts
    ("penalty", "penalties_12m", 364, 1),
    ("penalty", "penalties_12m", 365, 0),  # exactly 12 months ago: outside
    ("penalty", "penalties_12m", 366, 0),
    ("penalty", "penalties_12m", -1, 0),  # a future event is not known yet
    ("penalty", "penalties_24m", 729, 1),
    ("penalty", "penalties_24m", 730, 0),
    ("case", "cases_12m", 364, 1),
    ("case", "cases_12m", 365, 0),
    ("complaint_verified", "verified_complaints_12m", 364, 1),
    ("media_exposure", "verified_complaints_12m", 364, 1),  # exposures count as complaints
    ("media_exposure", "verified_complaints_12m", 365, 0),
    ("emergency", "emergencies_24m", 729, 1),
    ("emergency", "emergencies_24m", 730, 0),
    ("exceedance", "exceedances_12m", 364, 1),
    ("exceedance", "exceedances_12m", -30, 0),
    ("crime", "crime_record_36m", 1094, True),
    ("crime", "crime_record_36m", 1095, False),
    ("crime", "crime_record_36m", -1, False),
])
def test_window_edges(kind: str, fact: str, days_ago: int, expected: int | bool) -> None:
    assert history_facts([event(kind, days_ago)], DAY)[fact] == expected


def test_windows_are_counted_in_days_not_calendar_months() -> None:
    # Pinned on purpose: in a window holding 29 February, an event 365 days ago is still within
    # 12 calendar months, but the fact counts days (see the report of the tests that added this).
    assert history_facts([event("penalty", 364, day=LEAP_DAY)], LEAP_DAY)["penalties_12m"] == 1
    assert history_facts([event("penalty", 365, day=LEAP_DAY)], LEAP_DAY)["penalties_12m"] == 0
    assert history_facts([event("penalty", 366, day=LEAP_DAY)], LEAP_DAY)["penalties_12m"] == 0


def test_counts_add_up_and_kinds_do_not_mix() -> None:
    events = [event("penalty", 10), event("penalty", 400), event("penalty", 800), event("case", 5),
              event("complaint_verified", 1), event("media_exposure", 2), event("complaint_verified", 500)]
    facts = history_facts(events, DAY)
    assert (facts["penalties_12m"], facts["penalties_24m"], facts["cases_12m"]) == (1, 2, 1)
    assert facts["verified_complaints_12m"] == 2
    assert facts["emergencies_24m"] == facts["exceedances_12m"] == 0
    assert facts["crime_record_36m"] is False and facts["supervised_case"] is False


def test_no_events_means_nothing_recorded() -> None:
    assert history_facts([], DAY) == {
        "penalties_12m": 0, "penalties_24m": 0, "cases_12m": 0, "verified_complaints_12m": 0,
        "emergencies_24m": 0, "exceedances_12m": 0, "crime_record_36m": False, "supervised_case": False,
        "last_inspection": None}


@pytest.mark.parametrize(("days_ago", "ends_days_ago", "expected"), [
    (30, None, True),  # open
    (2000, None, True),  # open for years
    (400, -10, True),  # listed until a future day
    (700, 364, True),  # ended within the last year
    (700, 365, True),  # ended exactly a year ago: still "in the past year" (inclusive)
    (700, 366, False),  # ended more than a year ago
    (-5, None, False),  # listed only from a future day
])
def test_supervised_case(days_ago: int, ends_days_ago: int | None, expected: bool) -> None:
    events = [event("supervised_case", days_ago, ends_days_ago=ends_days_ago)]
    assert history_facts(events, DAY)["supervised_case"] is expected


def test_last_inspection_is_the_latest_known_by_the_day() -> None:
    events = [event("inspection", 200), event("inspection", 20), event("inspection", -3), event("penalty", 1)]
    assert history_facts(events, DAY)["last_inspection"] == DAY - timedelta(days=20)
    assert history_facts(events, DAY - timedelta(days=100))["last_inspection"] == DAY - timedelta(days=200)
    assert history_facts(events, DAY - timedelta(days=300))["last_inspection"] is None


@pytest.mark.parametrize(("minimum", "maximum", "fraction", "expected"), [
    (100_000, 1_000_000, 0.0, 100_000),
    (100_000, 1_000_000, 0.1, 190_000),
    (100_000, 1_000_000, 0.5, 550_000),
    (100_000, 1_000_000, 0.9, 910_000),
    (100_000, 1_000_000, 1.0, 1_000_000),
    (20_000, 200_000, 0.3, 74_000),
    (20_000, 200_000, 0.7, 146_000),
    (0, 1_000, 0.123, 100),  # 123 → 100
    (0, 1_000, 0.16, 200),  # 160 → 200
    (20_000, 200_000, 1.5, 200_000),  # never above the maximum
    (20_000, 200_000, -0.5, 20_000),  # never below the minimum
    (20_030, 20_090, 0.0, 20_030),  # rounding would leave the range: clamped to the minimum
    (20_010, 20_080, 1.0, 20_080),  # … or to the maximum
])
def test_amount(minimum: int, maximum: int, fraction: float, expected: int) -> None:
    assert amount(minimum, maximum, fraction) == expected


@pytest.mark.parametrize("fraction", [i / 40 for i in range(41)])
def test_amount_stays_in_every_statutory_range(fraction: float) -> None:
    for fine in tables.statutory_fines().values():
        found = amount(fine.minimum, fine.maximum, fraction)
        assert fine.minimum <= found <= fine.maximum and found % 100 == 0


def case(**extra: Any) -> dict[str, Any]:
    return {"violation_type": "exceed_standard", "harm": 3, "fault": 2, "means": 4, "object": 1, "correction": 5,
            **extra}


def test_violation_case_facts() -> None:
    assert ViolationCase.model_validate(case(repeat_offence=True)).facts() == {
        "violation_type": "exceed_standard", "discretion_score": 15, "repeat_offence": True, "corrected": False,
        "caused_harm": True}
    lightest = ViolationCase.model_validate(case(harm=1, fault=1, means=1, object=1, correction=1, corrected=True,
                                                 caused_harm=False))
    assert lightest.facts()["discretion_score"] == 5 and lightest.facts()["caused_harm"] is False


@pytest.mark.parametrize("bad", [{"harm": 6}, {"correction": 0}, {"violation_type": "littering"},
                                 {"surcharge": 1}])
def test_violation_case_is_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ViolationCase.model_validate(case(**bad))


def test_every_violation_type_has_a_statutory_range() -> None:
    fines = tables.statutory_fines()
    assert set(VIOLATION_TYPES) <= set(fines)
    for kind in VIOLATION_TYPES:
        fine = fines[kind]
        assert fine.violation_type == kind and fine.legal_basis.strip()
        assert 0 < fine.minimum < fine.maximum and fine.minimum % 100 == fine.maximum % 100 == 0


@pytest.mark.parametrize(("score", "extra", "level", "fraction", "not_penalised"), [
    (5, {}, 1, 0.1, False),
    (9, {}, 1, 0.1, False),
    (10, {}, 2, 0.3, False),
    (14, {}, 3, 0.5, False),
    (18, {}, 4, 0.7, False),
    (22, {}, 5, 0.9, False),
    (25, {}, 5, 0.9, False),
    (8, {"corrected": True, "caused_harm": False}, 1, 0, True),
    (9, {"corrected": True, "caused_harm": False}, 1, 0.1, False),  # the score bound is 8
    (8, {"corrected": True, "caused_harm": False, "repeat_offence": True}, 4, 0.7, False),
    (5, {"repeat_offence": True}, 4, 0.7, False),
    (16, {"repeat_offence": True}, 5, 0.9, False),
])
def test_penalty_discretion_pack(score: int, extra: dict[str, Any], level: int, fraction: float,
                                 not_penalised: bool) -> None:
    content, errors = parse(packs.load("penalty_discretion"))
    assert errors == [] and content is not None
    policy = Engine().load(f"penalty_discretion_unit_{score}_{len(extra)}_{level}", content)
    facts = {"violation_type": "no_permit", "discretion_score": score, "repeat_offence": False, "corrected": False,
             "caused_harm": True, **extra}
    assert policy.evaluate(facts).outputs == {"level": level, "range_fraction": fraction,
                                              "not_penalised": not_penalised}
