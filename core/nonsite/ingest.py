"""Storing meter readings: bucketed per meter per UTC day, idempotent on (meter, minute), written while parsing.

A reading is set at its minute inside its day bucket, so duplicates and out-of-order arrivals land
in the same place and a replayed file changes nothing. Bad rows are reported with their row number
and a code; every valid row is kept.

Day buckets stay open in memory and are written once a later day has begun (at least FLUSH_MIN at
a time), when more than MAX_OPEN are open (the oldest days first), and at the end: a feed in time
order writes each bucket once. A write runs while the next rows are parsed, so the server stores
one day while this process parses the next; writes never overlap each other.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from core import progress
from core.db import Database
from core.error_codes import ErrorCode
from core.nonsite.readings import Columns, IngestReport, Reading, RowError, Times, parse, parse_columns, take
from core.nonsite.repository import MeterRepository
from core.registry.sources import SourceRow

BATCH = 20_000  # readings between two flush decisions
CHUNK = 250  # rows parsed together; the write in flight takes a step between two chunks
MAX_OPEN = 10_000  # open day buckets kept in memory (~96 readings each; ~200 MB when full)
FLUSH_MIN = 1_000  # finished buckets written together (one insert_many's worth)
logger = logging.getLogger(__name__)


async def ingest(database: Database, rows: Iterable[SourceRow], *, scopes: list[str] | None = None,
                 now: datetime | None = None) -> IngestReport:
    """Stream rows in; ``scopes`` (the caller's jurisdictions) refuses meters outside them.

    Power-only chunks of known meters (the bulk of a utility feed) are set into their buckets
    column by column; anything else (energy counters, unknown meters, bad rows) goes row by row,
    sorted per meter and time so that counters are checked in order. Rows keep their file order
    between the two paths: the last value for a (meter, minute) wins.
    """
    buffer = _Buffer(MeterRepository(database), scopes, IngestReport())
    times = Times(now or datetime.now(UTC))
    report = buffer.report
    batch: list[Reading] = []
    since_flush = 0
    source = iter(rows)
    try:
        while True:
            numbers, values, broken = take(source, CHUNK)
            if not numbers:
                break
            report.received += len(numbers)
            progress.advance(len(numbers))
            columns = None if broken else parse_columns(values, times)
            if columns is not None and columns.kwh[0] is None:  # power only: set by whole columns
                if batch:  # rows before this chunk go first: the last value for a (meter, minute) wins
                    await buffer.add(batch)
                    batch = []
                refused = buffer.accept_power(columns)
                if refused:  # meters not seen yet: look them up and try once more
                    await buffer.known(refused)
                    refused = buffer.accept_power(columns)
                if refused is None:
                    since_flush += len(numbers)
                    if since_flush >= BATCH:
                        since_flush = 0
                        await buffer.flush(buffer.due())
                else:
                    batch += columns.readings(numbers)  # unknown meters: row by row, with their errors
            elif columns is not None:
                batch += columns.readings(numbers)
            else:
                results = [parse(SourceRow(n, v, broken.get(i, [])), times)
                           for i, (n, v) in enumerate(zip(numbers, values, strict=True))]
                batch += [r for r in results if r.__class__ is tuple]
                report.errors += [r for r in results if r.__class__ is RowError]
            if len(batch) >= BATCH:
                await buffer.add(batch)
                batch = []
            elif buffer.writing is not None:
                await asyncio.sleep(0)  # let the write in flight take its next step
        await buffer.add(batch)
        await buffer.flush(buffer.everything())
        await buffer.settle()
    except BaseException:
        await buffer.abandon()  # the write in flight finishes; the first error is the one raised
        raise
    await buffer.repository.set_last(buffer.last)
    return report


class _Buffer:
    """The open day buckets of one ingest, the meters it has looked up, and the write in flight."""

    def __init__(self, repository: MeterRepository, scopes: list[str] | None, report: IngestReport) -> None:
        self.repository, self.scopes, self.report = repository, scopes, report
        self.meters: dict[str, dict[str, Any] | None] = {}  # None: unknown or outside the scopes
        self.open: dict[str, dict[str, dict[str, Any]]] = {}  # day -> meter -> {minute: reading}
        self.counters: dict[str, tuple[list[datetime], list[float]]] = {}  # accepted kWh readings by time
        self.last: dict[str, tuple[datetime, float | None]] = {}
        self.writing: asyncio.Task[tuple[int, int]] | None = None
        self.assume_new = True

    async def known(self, meter_ids: list[str]) -> None:
        """Look up the meters not seen yet (None: unknown or outside the scopes)."""
        unknown = sorted(set(meter_ids) - self.meters.keys())
        if unknown:
            found = await self.repository.by_ids(unknown)
            scopes = set(self.scopes) if self.scopes is not None else None
            for meter_id in unknown:
                meter = found.get(meter_id)
                inside = meter is not None and (scopes is None
                                                or bool(set(meter.get("jurisdiction_path", [])) & scopes))
                self.meters[meter_id] = meter if inside else None

    async def add(self, batch: list[Reading]) -> None:
        await self.known(list(map(itemgetter(1), batch)))
        if list(map(itemgetter(6), batch)).count(None) < len(batch):  # counters are checked in time order
            batch = sorted(batch, key=lambda r: (r[1], r[2]))
        self._accept(batch)
        await self.flush(self.due())

    def accept_power(self, columns: Columns) -> list[str] | None:
        """Set power-only readings by whole columns; None when done.

        Otherwise nothing is set and the meters that have no open bucket yet and are not known to
        be valid are returned (never looked up, unknown, or outside the scopes).
        """
        meters, days = columns.meters, columns.days
        if days.count(days[0]) == len(days):  # the usual chunk: one day
            targets = list(map((self.open.get(days[0]) or {}).get, meters))
        else:
            targets = [(self.open.get(day) or {}).get(meter) for meter, day in zip(meters, days, strict=True)]
        if None in targets:
            fresh = [n for n, target in enumerate(targets) if target is None]
            refused = sorted({meters[n] for n in fresh if self.meters.get(meters[n]) is None})
            if refused:
                return refused
            for n in fresh:
                targets[n] = self.open.setdefault(days[n], {}).setdefault(meters[n], {})
        filled = cast("list[dict[str, Any]]", targets)  # every None was replaced by an open bucket above
        for target, minute, kw in zip(filled, columns.minutes, columns.kw, strict=True):
            target[minute] = {"kw": kw}
        self.report.accepted += len(targets)
        return None

    def _accept(self, batch: list[Reading]) -> None:
        meters, open_get, errors = self.meters.get, self.open.get, self.report.errors
        rejected = len(errors)
        for number, meter_id, at, day, minute, kw, kwh in batch:
            if meters(meter_id) is None:
                errors.append(RowError(number, "meter", ErrorCode.UNKNOWN_METER, f"meter {meter_id} is not registered"))
                continue
            if kwh is None:
                value = {"kw": kw}
            elif self._counter_ok(meter_id, at, kwh):
                value = {"kwh": kwh} if kw is None else {"kw": kw, "kwh": kwh}
            else:
                errors.append(RowError(number, "kwh", ErrorCode.DECREASING_COUNTER,
                                       f"energy counter of {meter_id} went down at {at.isoformat()}"))
                continue
            slots = open_get(day)
            if slots is None:
                slots = self.open[day] = {}
            slots.setdefault(meter_id, {})[minute] = value
        self.report.accepted += len(batch) - (len(errors) - rejected)

    def _counter_ok(self, meter_id: str, at: datetime, kwh: float) -> bool:
        """A cumulative kWh counter never goes down in time: the reading must lie between its neighbours in
        time among this ingest's accepted readings and the meter's stored last reading, whatever the
        order the rows came in."""
        counter = self.counters.get(meter_id)
        if counter is None:
            counter = self.counters[meter_id] = ([], [])
            stored = (self.meters[meter_id] or {}).get("last") or {}
            if stored.get("kwh") is not None:
                counter[0].append(stored["ts"].replace(tzinfo=UTC))
                counter[1].append(float(stored["kwh"]))
        times, values = counter
        at_or_after = bisect_left(times, at)
        after = at_or_after + 1 if at_or_after < len(times) and times[at_or_after] == at else at_or_after
        if (at_or_after > 0 and values[at_or_after - 1] > kwh) or (after < len(times) and values[after] < kwh):
            return False
        if after > at_or_after:  # the same minute again: the later row wins
            values[at_or_after] = kwh
        else:
            times.insert(at_or_after, at)
            values.insert(at_or_after, kwh)
        known = self.last.get(meter_id)
        if known is None or known[0] < at:  # only energy readings move the counter the next check compares with
            self.last[meter_id] = (at, kwh)
        return True

    def due(self) -> list[tuple[str, str]]:
        """Buckets (meter, day) to write now: the days before the newest one, or the oldest beyond MAX_OPEN."""
        if not self.open:
            return []
        newest = max(self.open)
        done = [(meter, day) for day in sorted(self.open) if day < newest for meter in self.open[day]]
        if len(done) >= FLUSH_MIN:
            return done
        if sum(map(len, self.open.values())) > MAX_OPEN:
            ordered = [(meter, day) for day in sorted(self.open) for meter in sorted(self.open[day])]
            return ordered[:len(ordered) - MAX_OPEN // 2]
        return []

    def everything(self) -> list[tuple[str, str]]:
        return [(meter, day) for day, meters in self.open.items() for meter in meters]

    async def flush(self, keys: list[tuple[str, str]]) -> None:
        if not keys:
            return
        await self.settle()  # one write at a time: a later write of the same bucket must see the earlier one
        buckets = {}
        for meter_id, day in keys:
            meters = self.open[day]
            meter = cast("dict[str, Any]", self.meters[meter_id])  # open buckets belong to known meters only
            buckets[f"{meter_id}:{day}"] = {"meter_id": meter_id, "day": day, "r": meters.pop(meter_id),
                                            "credit_code": meter["credit_code"]}
            if not meters:
                del self.open[day]
        self.writing = asyncio.create_task(self._write(buckets))

    async def _write(self, buckets: dict[str, dict[str, Any]]) -> tuple[int, int]:
        # New readings (the usual feed) are inserted without a look-up first; once a write meets
        # stored buckets (a replay, an overlapping file), the rest of this ingest looks up first.
        created, changed = await self.repository.write_readings(buckets, assume_new=self.assume_new)
        if created < len(buckets):
            self.assume_new = False
        return created, changed

    async def settle(self) -> None:
        """Wait for the write in flight and count it. Cancelling the ingest does not cancel the write."""
        if self.writing is None:
            return
        created, changed = await asyncio.shield(self.writing)
        self.writing = None
        self.report.buckets_created += created
        self.report.buckets_changed += changed

    async def abandon(self) -> None:
        """After a failure or a cancellation: let the write in flight finish (nothing half-sent); its own
        error is logged, not raised over the first one."""
        writing, self.writing = self.writing, None
        if writing is None:
            return
        await asyncio.wait({writing})
        if not writing.cancelled() and writing.exception() is not None:
            logger.warning("meter bucket write failed after the ingest had failed: %r", writing.exception())
