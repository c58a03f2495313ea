"""The audit trail: request-level entries queued and written in batches, the chainer, verification, reading
and retention.

``record`` never waits for the database: it appends to an in-process queue that a writer task (``start`` /
``stop``, owned by the app's lifespan) drains in batches, inserting the entries already chained, at most
every ``interval_s``. A crash between a response and the next flush loses the entries still queued (at most
the last ``interval_s``' worth while the database answers); the services' own records, written pending in
the transaction of the change they record (``AuditRepository.append``), are never lost and are chained by
the next flush or the periodic job.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from core import leases
from core.audit import chain
from core.audit.models import AuditEntry, AuditFilter, AuditScope, DayReport
from core.audit.repository import AuditRepository
from core.db import Database, is_duplicate_key, is_unavailable, lost_race
from core.pagination import Page, check_first, decode_cursor, encode_cursor
from core.reference import tables

log = logging.getLogger(__name__)
MAX_TARGETS = 20
MAX_VALUE = 200
CHAIN_ATTEMPTS = 20


@lru_cache(maxsize=1024)
def common_scope(jurisdictions: tuple[str, ...]) -> tuple[str, ...]:
    """The divisions that contain every one of ``jurisdictions``: a supervisor of any of them sees the entry."""
    shared: set[str] | None = None
    for code in jurisdictions:
        if code not in tables.divisions():
            return ()
        path = set(tables.ancestors(code))
        shared = path if shared is None else shared & path
    return tuple(sorted(shared or ()))


def _clip(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def _of_day(entries: list[dict[str, Any]], day: str) -> list[dict[str, Any]]:
    """The leading entries of ``day`` (the queue is in recording order, so a day's entries come together)."""
    return list(itertools.takewhile(lambda entry: chain.day_of(entry["at"]) == day, entries))


class AuditService:
    def __init__(self, database: Database, *, retention_days: int = 3650, batch: int = 500,
                 interval_s: float = 0.5, max_queued: int = 100_000) -> None:
        """The writer writes ``interval_s`` after the first entry it finds queued: one chaining transaction then
        serves every request of that time, so few requests ever run beside one (each costs the database a few
        round trips; bench/api.py measures the cost)."""
        self.database = database
        self.repository = AuditRepository(database)
        self.retention_days = retention_days
        self.batch = batch
        self.interval_s = interval_s
        self.max_queued = max_queued
        self.enabled = True  # the benchmark turns request-level entries off to measure what they cost
        self._queue: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._dropped = 0
        self._adopted = False

    # ------------------------------------------------------------------ recording

    def record(self, *, actor: str | None, operation: str, outcome: str, code: str | None = None,
               roles: Iterable[str] = (), jurisdictions: Sequence[str] = (),
               targets: Iterable[tuple[str, Any]] = (), request_id: str = "", address: str | None = None,
               source: str, detail: dict[str, Any] | None = None) -> None:
        """Queue one entry; returns at once (the writer stores it). ``targets``: (name, id) pairs."""
        if not self.enabled:
            return
        if len(self._queue) >= self.max_queued:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.error("audit queue full: entries dropped", extra={"dropped": self._dropped})
            return
        pairs = [(name, _clip(value)) for name, value in list(targets)[:MAX_TARGETS]]
        held = tuple(jurisdictions)
        self._queue.append({
            "at": chain.millis(datetime.now(UTC)), "actor": actor or "anonymous", "roles": sorted(roles),
            "jurisdictions": list(held), "scope": list(common_scope(held)), "action": operation,
            "target": ", ".join(f"{name}:{value}" for name, value in pairs),
            "targets": list(dict.fromkeys(value for _, value in pairs)), "outcome": outcome, "code": code,
            "request_id": request_id, "address": address, "source": source, "detail": detail or {},
        })
        self._wake.set()

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def flush(self) -> int:
        """Write and chain every queued entry, then chain whatever else is pending (the services' own records,
        entries another process left); returns how many queued entries were written. Entries stay queued (and
        are written by a later flush) while the database cannot be reached."""
        async with self._lock:
            written, chained = 0, set()
            while self._queue:
                day = chain.day_of(self._queue[0]["at"])
                fresh = _of_day(self._queue[:self.batch], day)
                try:
                    if await self._chain_day(day, fresh) - len(fresh) < self.batch:
                        chained.add(day)  # every entry of the day that was pending is chained too
                except Exception as exc:
                    if is_unavailable(exc):
                        raise  # kept: written when the database answers again
                    if is_duplicate_key(exc):  # an earlier commit landed after all: keep only what is missing
                        stored = await self.repository.stored_ids([d["_id"] for d in fresh])
                        self._queue = [d for d in self._queue if d.get("_id") not in stored]
                        continue
                    # Never retried: entries the database refuses for their content would block the queue.
                    log.exception("audit entries refused by the database; dropped", extra={"dropped": len(fresh)})
                    written -= len(fresh)
                del self._queue[:len(fresh)]
                written += len(fresh)
            await self.chain(besides=chained)
            return written

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_forever(), name="audit-writer")

    async def stop(self, *, timeout_s: float = 10.0) -> None:
        """Stop the writer and write what is queued (bounded: a database that stays down loses the queue)."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        try:
            await asyncio.wait_for(self.flush(), timeout_s)
        except Exception:
            log.exception("audit entries could not be written at shutdown", extra={"lost": len(self._queue)})

    async def _write_forever(self) -> None:
        pause = 0.5
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.interval_s)
            self._wake.clear()
            try:
                await self.flush()
                pause = 0.5
            except Exception:
                log.exception("audit flush failed; retrying", extra={"queued": len(self._queue)})
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                self._wake.set()

    # ------------------------------------------------------------------ chaining

    async def chain(self, *, besides: set[str] | None = None) -> int:
        """Link every pending entry into its day's chain (except days in ``besides``, chained a moment ago);
        returns how many. Safe to run in several processes at once: each day's head moves by compare-and-set
        in the transaction that chains its entries."""
        if not self._adopted:
            await self.repository.adopt_legacy()
            self._adopted = True
        linked = 0
        for day in await self.repository.pending_days():
            if besides and day in besides:
                continue
            while (done := await self._chain_day(day)) >= self.batch:
                linked += done
            linked += done
        return linked

    async def _chain_day(self, day: str, fresh: list[dict[str, Any]] | None = None) -> int:
        """One chaining transaction for ``day``, run again (re-reading the head) when another chainer won."""
        attempt = 0
        while True:
            try:
                return await self.repository.chain_day(day, self.batch, fresh or ())
            except Exception as exc:
                attempt += 1
                if (fresh and is_duplicate_key(exc)) or not lost_race(exc) or attempt >= CHAIN_ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0.002, 0.02) * attempt)  # let the winner commit

    async def chain_job(self, today: date) -> dict[str, Any]:
        """The periodic job: chain what other processes left pending (a crash between insert and chain)."""
        return {"chained": await self.chain()}

    # ------------------------------------------------------------------ verification

    async def verify(self, day: str | None = None) -> list[DayReport]:
        """Chain what is pending, then walk each day's chain (or ``day``'s) and report its breaks."""
        await self.flush()
        if day is not None:
            days = [day]
        else:
            days = sorted({str(h["_id"]) for h in await self.repository.heads_between()}
                          | set(await self.repository.chained_days()))
        return [await self._verify_day(d) for d in days]

    async def _verify_day(self, day: str) -> DayReport:
        head = await self.repository.head(day)
        walk = chain.DayWalk(day)
        until = max(head.n if head else 0, await self.repository.count_day(day))
        async for doc in self.repository.walk(day, until):
            walk.feed(doc)
        if head is None and walk.count == 0:
            return DayReport(day=day, count=0, head_hash=None)
        problems = walk.finish(head)
        return DayReport(day=day, count=walk.count, head_hash=head.hash if head else None, problems=problems)

    # ------------------------------------------------------------------ reading

    async def page(self, scope: AuditScope, where: AuditFilter, *, first: int, after: str | None
                   ) -> Page[AuditEntry]:
        """Chained entries in ``seq`` order that ``scope`` may see; this process's queued entries are written
        first, so a caller reads its own actions."""
        check_first(first)
        position = decode_cursor(after)
        await self.flush()
        items, more = await self.repository.page(scope, where, after=position, first=first)
        return Page(items=items, cursors=[encode_cursor(e.seq or 0) for e in items], has_next=more)

    async def export(self, scope: AuditScope, where: AuditFilter) -> AsyncIterator[list[AuditEntry]]:
        """Every entry of the filter that ``scope`` may see, in ``seq`` order, in batches."""
        await self.flush()
        async for part in self.repository.scan(scope, where):
            yield part

    # ------------------------------------------------------------------ retention

    async def purge_expired(self, today: date) -> dict[str, Any]:
        """Delete whole days older than the retention period (entries and heads); idempotent per day."""
        cutoff = (today - timedelta(days=self.retention_days)).isoformat()
        if not await leases.mark_done(self.database, "audit-retention", today.isoformat(), {"before": cutoff}):
            return {"skipped": "already ran today"}
        await self.chain()
        purged: dict[str, int] = {}
        for day in await self.repository.expired_days(cutoff):
            purged[day] = await self.repository.purge_day(day)
            log.warning("audit day purged by retention", extra={"day": day, "entries": purged[day],
                                                                "retention_days": self.retention_days})
        if purged:
            self.record(actor="scheduler", operation="job:audit-retention", outcome="ok", source="job",
                        targets=[("day", d) for d in purged], request_id=f"job:audit-retention:{today}",
                        detail={"before": cutoff, "entries": sum(purged.values()), "days": len(purged)})
            await self.flush()
        return {"before": cutoff, "days": len(purged), "entries": sum(purged.values())}
