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

BATCH = 20_000
MAX_OPEN = 4_000  # open day buckets kept in memory (~96 readings each)
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


@dataclass(frozen=True, slots=True)
class Reading:
    row: int
    meter_id: str
    at: datetime
    kw: float | None
    kwh: float | None
    day: str = ""  # the UTC day and minute of ``at`` (its bucket)
    minute: str = ""


class _Times:
    """Timestamps parsed once: a feed sends the same instant for every meter (bounded cache)."""

    def __init__(self, now: datetime) -> None:
        self.limit = now + FUTURE_TOLERANCE
        self.cache: dict[str, tuple[datetime, str, str] | tuple[str, str]] = {}

    def parse(self, raw: str) -> tuple[datetime, str, str] | tuple[str, str]:
        found = self.cache.get(raw)
        if found is None:
            if len(self.cache) > 50_000:
                self.cache.clear()
            found = self.cache[raw] = self._parse(raw)
        return found

    def _parse(self, raw: str) -> tuple[datetime, str, str] | tuple[str, str]:
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            return "INVALID_TIMESTAMP", "timestamp must be ISO 8601 with an offset"
        if at.tzinfo is None:
            return "INVALID_TIMESTAMP", "timestamp needs a UTC offset"
        at = at.astimezone(UTC).replace(second=0, microsecond=0)
        if at > self.limit:
            return "IN_FUTURE", f"{at.isoformat()} is in the future"
        return at, at.date().isoformat(), str(at.hour * 60 + at.minute)


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


def parse(row: SourceRow, now: datetime | _Times) -> Reading | RowError:
    times = now if isinstance(now, _Times) else _Times(now)
    if row.errors:  # the reader already found the row malformed (a wrong number of fields, bad bytes)
        first = row.errors[0]
        return RowError(row.number, first.field, first.code, first.message)
    values = row.values
    meter = str(values.get("meter") or values.get("meter_id") or "").strip()
    if not meter:
        return RowError(row.number, "meter", "REQUIRED", "meter is required")
    when = times.parse(str(values.get("timestamp") or values.get("at") or ""))
    if len(when) == 2:
        return RowError(row.number, "timestamp", when[0], when[1])  # type: ignore[arg-type]
    at, day, minute = when  # type: ignore[misc]
    kw, kwh = _number(values.get("kw"), "kw", row.number), _number(values.get("kwh"), "kwh", row.number)
    for value in (kw, kwh):
        if isinstance(value, RowError):
            return value
    if kw is None and kwh is None:
        return RowError(row.number, "kw", "REQUIRED", "a reading needs kw or kwh")
    return Reading(row.number, meter, at, kw, kwh, day, minute)  # type: ignore[arg-type]


async def ingest(database: Database, rows: Iterable[SourceRow], *, scopes: list[str] | None = None,
                 now: datetime | None = None) -> IngestReport:
    """Stream rows in; ``scopes`` (the caller's jurisdictions) refuses meters outside them.

    Day buckets stay open in memory (at most MAX_OPEN) and are written when the buffer is full,
    the oldest days first, or at the end: a feed in time order writes each bucket about once
    instead of once per batch.
    """
    state = _Ingest(MeterRepository(database), scopes, IngestReport())
    clock = _Times(now or datetime.now(UTC))
    batch: list[Reading] = []
    for row in rows:
        state.report.received += 1
        parsed = parse(row, clock)
        if isinstance(parsed, RowError):
            state.report.errors.append(parsed)
            continue
        batch.append(parsed)
        if len(batch) >= BATCH:
            await state.add(batch)
            batch = []
    await state.add(batch)
    await state.flush(everything=True)
    await state.repository.set_last(state.last)
    return state.report


class _Ingest:
    def __init__(self, repository: MeterRepository, scopes: list[str] | None, report: IngestReport) -> None:
        self.repository, self.scopes, self.report = repository, scopes, report
        self.meters: dict[str, dict[str, Any] | None] = {}  # None: unknown or outside the scopes
        self.open: dict[str, dict[str, Any]] = {}
        self.previous: dict[str, tuple[datetime, float]] = {}
        self.last: dict[str, tuple[datetime, float | None]] = {}

    async def add(self, batch: list[Reading]) -> None:
        unknown = sorted({r.meter_id for r in batch} - set(self.meters))
        found = await self.repository.by_ids(unknown) if unknown else {}
        scopes = set(self.scopes) if self.scopes is not None else None
        self.meters.update({m: found.get(m) if scopes is None or set(found.get(m, {}).get("jurisdiction_path", []))
                            & scopes else None for m in unknown})
        for reading in sorted(batch, key=lambda r: (r.meter_id, r.at)):
            self._accept(reading)
        if len(self.open) > MAX_OPEN:
            await self.flush(everything=False)

    def _accept(self, reading: Reading) -> None:
        meter = self.meters.get(reading.meter_id)
        if meter is None:
            self.report.errors.append(RowError(reading.row, "meter", "UNKNOWN_METER",
                                               f"meter {reading.meter_id} is not registered"))
            return
        if reading.kwh is not None and not _counter_ok(reading, meter, self.previous):
            self.report.errors.append(RowError(reading.row, "kwh", "DECREASING_COUNTER",
                                               f"energy counter of {reading.meter_id} went down at "
                                               f"{reading.at.isoformat()}"))
            return
        key = f"{reading.meter_id}:{reading.day}"
        bucket = self.open.get(key)
        if bucket is None:
            bucket = self.open[key] = {"meter_id": reading.meter_id, "day": reading.day,
                                       "credit_code": meter["credit_code"], "r": {}}
        bucket["r"][reading.minute] = {k: v for k, v in (("kw", reading.kw), ("kwh", reading.kwh)) if v is not None}
        if reading.kwh is not None:  # only energy readings move the counter the next check compares with
            known = self.last.get(reading.meter_id)
            if known is None or known[0] < reading.at:
                self.last[reading.meter_id] = (reading.at, reading.kwh)
        self.report.accepted += 1

    async def flush(self, *, everything: bool) -> None:
        keys = sorted(self.open, key=lambda k: (self.open[k]["day"], k))
        if not everything:
            keys = keys[:len(keys) - MAX_OPEN // 2]
        if not keys:
            return
        created, changed = await self.repository.write_readings({k: self.open.pop(k) for k in keys})
        self.report.buckets_created += created
        self.report.buckets_changed += changed


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
