"""Anomalies in electricity-usage series (DOMAIN rules 17–18, §5.1), vectorised over many enterprises.

Pure numpy: the caller lays each enterprise's production and treatment power (kW, NaN where no
reading) on one grid of 15-minute slots, with the heavy-pollution measure in force per slot and
the electricity-trigger thresholds decided by the policy. A missing reading never counts as "off".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from core.nonsite.models import SLOT_MINUTES, AlertKind

MEASURE_CODES = {"none": 0, "self_determined": 1, "reduce": 2, "halt": 3}
NIGHT_HOURS = (22, 6)  # night runs from 22:00 to 06:00 local time (UTC+8)
LOCAL_OFFSET = timedelta(hours=8)


@dataclass(frozen=True)
class Series:
    """N enterprises × T slots starting at ``start`` (UTC)."""

    codes: list[str]
    start: datetime
    production: np.ndarray  # float [N, T], kW
    treatment: np.ndarray  # float [N, T], kW
    rated_production: np.ndarray  # float [N], kW
    rated_treatment: np.ndarray  # float [N], kW
    measure: np.ndarray  # int8 [N, T], MEASURE_CODES
    reduction_pct: np.ndarray  # float [N, T]


SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Thresholds:
    """From the electricity_triggers policy: per enterprise [N], or per enterprise and slot [N, T] when
    the measure in force (and so the policy's answer) changes inside the window. A run needs the
    smallest minimum length and takes the highest severity over its slots; its other figures are
    those of its first slot."""

    production_on_share: np.ndarray
    treatment_off_share: np.ndarray
    min_minutes: np.ndarray
    restriction_margin_pct: np.ndarray
    night_day_ratio: np.ndarray
    severity: list[str] | np.ndarray  # [N] names, or [N, T] indexes into SEVERITIES


def _grid(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """[N] or [N, T] as [N, T]."""
    return values if values.ndim == 2 else np.broadcast_to(values[:, None], shape)


def _at(values: np.ndarray, row: int, slot: int) -> float:
    return float(values[row, slot] if values.ndim == 2 else values[row])


@dataclass(frozen=True)
class Anomaly:
    credit_code: str
    kind: AlertKind
    severity: str
    starts_at: datetime
    ends_at: datetime
    minutes: int
    detail: dict[str, Any]


def runs(mask: np.ndarray, min_length: np.ndarray) -> list[tuple[int, int, int]]:
    """(row, first slot, slot after the last) of every run of True at least ``min_length`` long (per row
    [N], or per slot [N, T]: the smallest value over the run's slots)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    starts = np.argwhere(edges == 1)
    ends = np.argwhere(edges == -1)
    # argwhere is row-major, so the k-th start and the k-th end belong to the same run.
    lengths = ends[:, 1] - starts[:, 1]
    if min_length.ndim == 2:  # the smallest minimum over the run's slots: a halt inside it makes it strict
        needed = np.array([min_length[r, s:e].min() for (r, s), e in zip(starts, ends[:, 1], strict=True)],
                          dtype=np.int64)
    else:
        needed = min_length[starts[:, 0]]
    keep = lengths >= needed
    return [(int(r), int(s), int(e)) for (r, s), e in zip(starts[keep], ends[keep][:, 1], strict=True)]


def detect(series: Series, limits: Thresholds) -> list[Anomaly]:
    shape = series.production.shape
    min_slots = np.maximum(1, np.ceil(limits.min_minutes / SLOT_MINUTES)).astype(np.int64)
    production_on = _grid(limits.production_on_share, shape) * series.rated_production[:, None]
    treatment_off_below = _grid(limits.treatment_off_share, shape) * series.rated_treatment[:, None]
    producing = series.production > production_on
    treatment_off = series.treatment < treatment_off_below
    has_treatment = (series.rated_treatment > 0)[:, None]
    found: list[Anomaly] = []
    # Rule 17: treatment off while production runs. A halted plant (production off) is not alerted.
    for row, first, last in runs(producing & treatment_off & has_treatment, min_slots):
        found.append(_anomaly(series, limits, row, first, last, AlertKind.TREATMENT_NOT_RUNNING, {
            "production_kw": _mean(series.production[row, first:last]),
            "treatment_kw": _mean(series.treatment[row, first:last]),
            "production_threshold_kw": float(production_on[row, first]),
            "treatment_threshold_kw": float(treatment_off_below[row, first])}))
    # Rule 18: production during a mandated halt.
    halted = series.measure == MEASURE_CODES["halt"]
    for row, first, last in runs(producing & halted, min_slots):
        found.append(_anomaly(series, limits, row, first, last, AlertKind.HALT_VIOLATION, {
            "production_kw": _mean(series.production[row, first:last]),
            "allowed_kw": float(production_on[row, first])}))
    found += _restrictions(series, limits)
    found += _night_day(series, limits)
    return found


def _restrictions(series: Series, limits: Thresholds) -> list[Anomaly]:
    """Rule 18: energy above (1 − cut) × baseline during a mandated cut; the baseline is the mean
    production power over the window's slots with no measure in force."""
    found = []
    cut = series.measure == MEASURE_CODES["reduce"]
    normal = (series.measure == MEASURE_CODES["none"]) & ~np.isnan(series.production)
    ones = np.ones(series.production.shape[0], dtype=np.int64)
    for row, first, last in runs(cut, ones):
        if not normal[row].any():
            continue
        baseline = float(np.nanmean(np.where(normal[row], series.production[row], np.nan)))
        during = _mean(series.production[row, first:last])
        pct = float(np.nanmax(series.reduction_pct[row, first:last]))
        allowed = (1 - pct / 100) * baseline * (1 + _at(limits.restriction_margin_pct, row, first) / 100)
        if during is not None and during > allowed:
            found.append(_anomaly(series, limits, row, first, last, AlertKind.RESTRICTION_VIOLATION, {
                "production_kw": during, "baseline_kw": baseline, "required_cut_pct": pct,
                "allowed_kw": allowed}))
    return found


def _night_day(series: Series, limits: Thresholds) -> list[Anomaly]:
    """§5.1 (Zhuzhou heuristic): night usage above ratio × day usage puts a plant on the watch list."""
    hours = np.array([((series.start + LOCAL_OFFSET + timedelta(minutes=SLOT_MINUTES * t)).hour)
                      for t in range(series.production.shape[1])])
    night = (hours >= NIGHT_HOURS[0]) | (hours < NIGHT_HOURS[1])
    total = np.nan_to_num(series.production) + np.nan_to_num(series.treatment)
    if not night.any() or night.all():
        return []
    night_mean = total[:, night].mean(axis=1)
    day_mean = total[:, ~night].mean(axis=1)
    ratio = limits.night_day_ratio.min(axis=1) if limits.night_day_ratio.ndim == 2 else limits.night_day_ratio
    watch = (day_mean > 0) & (night_mean > ratio * day_mean)
    last = series.production.shape[1]
    return [_anomaly(series, limits, int(row), 0, last, AlertKind.NIGHT_DAY_WATCH, {
        "night_kw": float(night_mean[row]), "day_kw": float(day_mean[row]),
        "ratio": float(night_mean[row] / day_mean[row])}, severity="low") for row in np.flatnonzero(watch)]


def _mean(values: np.ndarray) -> float | None:
    return None if np.isnan(values).all() else float(np.nanmean(values))


def _anomaly(series: Series, limits: Thresholds, row: int, first: int, last: int, kind: AlertKind,
             detail: dict[str, Any], severity: str | None = None) -> Anomaly:
    step = timedelta(minutes=SLOT_MINUTES)
    if severity is None:
        graded = limits.severity
        severity = (SEVERITIES[int(graded[row, first:last].max())] if isinstance(graded, np.ndarray)
                    else graded[row])
    return Anomaly(credit_code=series.codes[row], kind=kind, severity=severity,
                   starts_at=series.start + first * step, ends_at=series.start + last * step,
                   minutes=(last - first) * SLOT_MINUTES, detail=detail)
