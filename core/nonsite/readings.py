"""Ingesting meter readings: validated row by row, bucketed per meter per day, idempotent on (meter, time).

A reading is set at its minute inside its day bucket, so duplicates and out-of-order arrivals
land in the same place and a replayed file changes nothing. Bad rows are reported with their
row number and a code; every valid row is kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.db import Database
from core.errors import FieldError
from core.nonsite.models import SLOT_MINUTES
from core.nonsite.repository import MeterRepository
from core.registry.sources import SourceRow

BATCH = 100_000  # about a day of readings from 1,000 meters: each day bucket is written about once
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class RowError:
    row: int
    field: str
    code: str
    message: str


@dataclass
class IngestReport:
    received: int = 0
    accepted: int = 0
    buckets_created: int = 0
    buckets_changed: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    row: int
    meter_id: str
    at: datetime
    kw: float | None
    kwh: float | None


def bucket_key(meter_id: str, at: datetime) -> tuple[str, str, str]:
    """(bucket id, day, minute of the day) — days are UTC days."""
    day = at.date().isoformat()
    return f"{meter_id}:{day}", day, str(at.hour * 60 + at.minute)


def _number(raw: Any, name: str, row: int) -> float | None | RowError:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        return RowError(row, name, "INVALID_NUMBER", f"{name} {raw!r} is not a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return RowError(row, name, "INVALID_NUMBER", f"{name} {raw!r} is not a number")
    if not math.isfinite(value):
        return RowError(row, name, "INVALID_NUMBER", f"{name} must be finite")
    if value < 0:
        return RowError(row, name, "NEGATIVE_VALUE", f"{name} cannot be negative, got {value}")
    return value


def parse(row: SourceRow, now: datetime) -> Reading | RowError:
    if row.errors:  # the reader already found the row malformed (a wrong number of fields, bad bytes)
        first = row.errors[0]
        return RowError(row.number, first.field, first.code, first.message)
    values = row.values
    meter = str(values.get("meter") or values.get("meter_id") or "").strip()
    if not meter:
        return RowError(row.number, "meter", "REQUIRED", "meter is required")
    try:
        at = datetime.fromisoformat(str(values.get("timestamp") or values.get("at") or ""))
    except ValueError:
        return RowError(row.number, "timestamp", "INVALID_TIMESTAMP", "timestamp must be ISO 8601 with an offset")
    if at.tzinfo is None:
        return RowError(row.number, "timestamp", "INVALID_TIMESTAMP", "timestamp needs a UTC offset")
    at = at.astimezone(UTC).replace(second=0, microsecond=0)
    if at > now + FUTURE_TOLERANCE:
        return RowError(row.number, "timestamp", "IN_FUTURE", f"{at.isoformat()} is in the future")
    kw, kwh = _number(values.get("kw"), "kw", row.number), _number(values.get("kwh"), "kwh", row.number)
    for value in (kw, kwh):
        if isinstance(value, RowError):
            return value
    if kw is None and kwh is None:
        return RowError(row.number, "kw", "REQUIRED", "a reading needs kw or kwh")
    return Reading(row.number, meter, at, kw, kwh)  # type: ignore[arg-type]


async def ingest(database: Database, rows: Iterable[SourceRow], *, scopes: list[str] | None = None,
                 now: datetime | None = None) -> IngestReport:
    """Stream rows in; ``scopes`` (the caller's jurisdictions) refuses meters outside them."""
    report = IngestReport()
    clock = now or datetime.now(UTC)
    repository = MeterRepository(database)
    batch: list[Reading] = []
    for row in rows:
        report.received += 1
        parsed = parse(row, clock)
        if isinstance(parsed, RowError):
            report.errors.append(parsed)
            continue
        batch.append(parsed)
        if len(batch) >= BATCH:
            await _write(repository, batch, report, scopes)
            batch = []
    await _write(repository, batch, report, scopes)
    return report


async def _write(repository: MeterRepository, batch: list[Reading], report: IngestReport,
                 scopes: list[str] | None) -> None:
    if not batch:
        return
    meters = await repository.by_ids(sorted({r.meter_id for r in batch}))
    buckets: dict[str, dict[str, Any]] = {}
    last: dict[str, tuple[datetime, float | None]] = {}
    previous_kwh: dict[str, tuple[datetime, float]] = {}
    for reading in sorted(batch, key=lambda r: (r.meter_id, r.at)):
        meter = meters.get(reading.meter_id)
        if meter is None or (scopes is not None and not set(meter["jurisdiction_path"]) & set(scopes)):
            report.errors.append(RowError(reading.row, "meter", "UNKNOWN_METER", f"meter {reading.meter_id} "
                                          "is not registered"))
            continue
        if reading.kwh is not None and not _counter_ok(reading, meter, previous_kwh):
            report.errors.append(RowError(reading.row, "kwh", "DECREASING_COUNTER",
                                          f"energy counter of {reading.meter_id} went down at "
                                          f"{reading.at.isoformat()}"))
            continue
        key, day, minute = bucket_key(reading.meter_id, reading.at)
        bucket = buckets.setdefault(key, {"meter_id": reading.meter_id, "day": day,
                                          "credit_code": meter["credit_code"], "r": {}})
        bucket["r"][minute] = {k: v for k, v in (("kw", reading.kw), ("kwh", reading.kwh)) if v is not None}
        if reading.kwh is not None:  # only energy readings move the counter the next check compares with
            last[reading.meter_id] = (reading.at, reading.kwh)
        report.accepted += 1
    created, changed = await repository.write_readings(buckets)
    report.buckets_created += created
    report.buckets_changed += changed
    await repository.set_last(last)


def _counter_ok(reading: Reading, meter: dict[str, Any], previous: dict[str, tuple[datetime, float]]) -> bool:
    """A cumulative kWh counter never goes down: against the batch's earlier reading and the stored last one."""
    assert reading.kwh is not None
    before = previous.get(reading.meter_id)
    stored = meter.get("last") or {}
    if before is None and stored.get("kwh") is not None and stored["ts"].replace(tzinfo=UTC) < reading.at:
        before = (stored["ts"], float(stored["kwh"]))
    if before is not None and reading.kwh < before[1]:
        return False
    previous[reading.meter_id] = (reading.at, reading.kwh)
    return True


def gaps(docs: list[dict[str, Any]], start: date, days: int) -> list[tuple[datetime, datetime]]:
    """Runs of 15-minute slots without any reading, over ``days`` UTC days from ``start``."""
    seen = set()
    for doc in docs:
        base = (date.fromisoformat(doc["day"]) - start).days * (1440 // SLOT_MINUTES)
        seen.update(base + int(minute) // SLOT_MINUTES for minute in doc.get("r", {}))
    found: list[tuple[datetime, datetime]] = []
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    step = timedelta(minutes=SLOT_MINUTES)
    run_start = None
    for slot in range(days * 1440 // SLOT_MINUTES + 1):
        missing = slot < days * 1440 // SLOT_MINUTES and slot not in seen
        if missing and run_start is None:
            run_start = slot
        elif not missing and run_start is not None:
            found.append((origin + run_start * step, origin + slot * step))
            run_start = None
    return found


def as_field_errors(errors: list[RowError]) -> list[FieldError]:
    return [FieldError(f"rows.{e.row}.{e.field}", e.message, e.code) for e in errors]
