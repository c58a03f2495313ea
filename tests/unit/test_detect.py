"""Electricity anomalies on synthetic series with known answers (DOMAIN rules 17–18, §5.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from core.nonsite.detect import MEASURE_CODES, Series, Thresholds, detect, runs
from core.nonsite.models import AlertKind

START = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 00:00 in Beijing
SLOTS = 96 * 3  # 72 hours of 15-minute slots


def _series(n: int) -> dict[str, np.ndarray]:
    day = np.zeros(SLOTS)
    hours = (np.arange(SLOTS) * 15 // 60) % 24
    day[(hours >= 8) & (hours < 20)] = 1.0  # a day-shift plant
    return {"production": np.tile(day * 400.0, (n, 1)), "treatment": np.tile(day * 40.0, (n, 1)),
            "measure": np.zeros((n, SLOTS), dtype=np.int8), "reduction_pct": np.zeros((n, SLOTS))}


def _limits(n: int, minutes: float = 30) -> Thresholds:
    return Thresholds(production_on_share=np.full(n, 0.1), treatment_off_share=np.full(n, 0.05),
                      min_minutes=np.full(n, minutes), restriction_margin_pct=np.full(n, 5.0),
                      night_day_ratio=np.full(n, 1.5), severity=["medium"] * n)


def _run(arrays: dict[str, np.ndarray], limits: Thresholds | None = None) -> list:
    n = arrays["production"].shape[0]
    series = Series(codes=[f"E{i}" for i in range(n)], start=START, rated_production=np.full(n, 500.0),
                    rated_treatment=np.full(n, 50.0), **arrays)
    return detect(series, limits or _limits(n))


def test_runs_respect_each_rows_minimum() -> None:
    mask = np.array([[0, 1, 1, 1, 0, 1], [1, 1, 0, 0, 1, 1]], dtype=bool)
    assert runs(mask, np.array([2, 2])) == [(0, 1, 4), (1, 0, 2), (1, 4, 6)]
    assert runs(mask, np.array([3, 3])) == [(0, 1, 4)]


def test_clean_plant_raises_nothing() -> None:
    assert _run(_series(3)) == []


def test_treatment_off_while_producing_is_found_with_its_span() -> None:
    arrays = _series(2)
    day2_noon = 96 + 48  # 12:00 Beijing on day 2
    arrays["treatment"][1, day2_noon:day2_noon + 8] = 0.0  # two hours off
    found = _run(arrays)
    assert [(a.credit_code, a.kind) for a in found] == [("E1", AlertKind.TREATMENT_NOT_RUNNING)]
    assert found[0].minutes == 120 and found[0].starts_at == datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


def test_short_dips_and_missing_readings_are_not_alerts() -> None:
    arrays = _series(2)
    arrays["treatment"][0, 48:49] = 0.0  # 15 minutes < N = 30
    arrays["treatment"][1, 48:60] = np.nan  # no data is not "off"
    assert _run(arrays) == []


def test_halted_plant_raises_no_treatment_alert() -> None:
    arrays = _series(1)
    arrays["production"][0, :] = 0.0
    arrays["treatment"][0, :] = 0.0
    assert _run(arrays) == []


def test_production_during_a_mandated_halt() -> None:
    arrays = _series(2)
    arrays["measure"][:, 96:192] = MEASURE_CODES["halt"]
    arrays["production"][0, 96:192] = 0.0  # obeys
    arrays["treatment"][0, 96:192] = 0.0
    found = _run(arrays)
    assert [(a.credit_code, a.kind) for a in found] == [("E1", AlertKind.HALT_VIOLATION)]
    assert found[0].minutes == 12 * 60  # the day shift of the halted day


def test_restriction_checked_against_the_baseline() -> None:
    arrays = _series(2)
    arrays["measure"][:, 96:192] = MEASURE_CODES["reduce"]
    arrays["reduction_pct"][:, 96:192] = 30
    arrays["production"][0, 96:192] *= 0.6  # cut 40%: fine
    found = _run(arrays)
    assert [(a.credit_code, a.kind) for a in found] == [("E1", AlertKind.RESTRICTION_VIOLATION)]
    assert found[0].detail["required_cut_pct"] == 30


def test_night_usage_above_day_usage_is_a_watch() -> None:
    arrays = _series(2)
    arrays["production"][1] = np.roll(arrays["production"][1], 48)  # works at night
    arrays["treatment"][1] = np.roll(arrays["treatment"][1], 48)
    found = _run(arrays)
    assert [(a.credit_code, a.kind, a.severity) for a in found] == [("E1", AlertKind.NIGHT_DAY_WATCH, "low")]


def test_thresholds_follow_the_measure_in_force_slot_by_slot() -> None:
    """A halt from day 3 makes day 3 strict (15 minutes, high) and leaves days 1-2 at their own minimum."""
    arrays = _series(1)
    arrays["measure"][0, 2 * 96:] = MEASURE_CODES["halt"]
    arrays["production"][0, 2 * 96 + 40:2 * 96 + 48] = 400.0  # producing through the halt: a violation
    arrays["treatment"][0, 48:50] = 0.0  # day 1: 30 minutes off, below the 60-minute minimum of "none"
    arrays["treatment"][0, 2 * 96 + 48:2 * 96 + 50] = 0.0  # day 3: 30 minutes off, above the halt's 15
    shape = (1, SLOTS)
    halted = arrays["measure"] == MEASURE_CODES["halt"]
    limits = Thresholds(production_on_share=np.full(shape, 0.1), treatment_off_share=np.full(shape, 0.05),
                        min_minutes=np.where(halted, 15.0, 60.0), restriction_margin_pct=np.full(shape, 5.0),
                        night_day_ratio=np.full(shape, 1.5), severity=np.where(halted, 2, 1))
    found = _run(arrays, limits)
    treatment = [a for a in found if a.kind is AlertKind.TREATMENT_NOT_RUNNING]
    assert [(a.starts_at, a.minutes, a.severity) for a in treatment] == [
        (datetime(2026, 12, 4, 4, 0, tzinfo=UTC), 30, "high")]
    # The same thresholds given per enterprise (the strictest everywhere) also alert day 1: the old behaviour.
    strict = Thresholds(production_on_share=np.full(1, 0.1), treatment_off_share=np.full(1, 0.05),
                        min_minutes=np.full(1, 15.0), restriction_margin_pct=np.full(1, 5.0),
                        night_day_ratio=np.full(1, 1.5), severity=["high"])
    assert len([a for a in _run(arrays, strict) if a.kind is AlertKind.TREATMENT_NOT_RUNNING]) == 2


def test_a_run_takes_the_highest_severity_of_its_slots() -> None:
    arrays = _series(1)
    arrays["treatment"][0, 40:48] = 0.0  # 10:00-12:00 Beijing on day 1
    severity = np.ones((1, SLOTS), dtype=np.int64)
    severity[0, 46] = 2  # high for one slot inside the run
    limits = Thresholds(production_on_share=np.full(1, 0.1), treatment_off_share=np.full(1, 0.05),
                        min_minutes=np.full(1, 30.0), restriction_margin_pct=np.full(1, 5.0),
                        night_day_ratio=np.full(1, 1.5), severity=severity)
    assert [(a.minutes, a.severity) for a in _run(arrays, limits)] == [(120, "high")]


def test_a_run_needs_the_smallest_minimum_over_its_slots() -> None:
    """A run that starts before a halt and ends inside it is judged by the halt's shorter minimum."""
    mask = np.zeros((1, 10), dtype=bool)
    mask[0, 3:6] = True  # three slots, the last one under a strict minimum of 1
    minimum = np.full((1, 10), 4)
    minimum[0, 5:] = 1
    assert runs(mask, minimum) == [(0, 3, 6)]
    minimum[0, 5:] = 4
    assert runs(mask, minimum) == []
