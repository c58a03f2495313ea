"""Taking turns on a sync write: per-key locks inside a process, jittered back-off, and SYNC_BUSY.

Two pushes that touch the same task race on its chain and inspection documents, and every push
races on the one change-sequence counter; the loser's transaction aborts and the push is read and
applied again. Inside one process the pushes of a task queue on an asyncio lock and commits go one
at a time, so they do not abort each other at all. Between processes (the API runs several) the
transaction guards still decide; the loser backs off for a random, growing pause and tries again
until its time budget is spent, then answers ``SYNC_BUSY`` with a retry hint, never an internal error.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from core.error_codes import ErrorCode
from core.errors import Conflict


class SyncBusy(Conflict):
    """Coded and retryable: nothing of the push was written; send it again after ``retry_after_s``."""

    code = ErrorCode.SYNC_BUSY

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"{what} is busy with other pushes; nothing was written, retry in {retry_after_s} s",
                         field="ops")
        self.retry_after_s = retry_after_s


class TurnTimeout(Exception):
    """Waiting for a turn outlasted its deadline (nothing was held, nothing was done)."""


class KeyedLocks:
    """One asyncio lock per key, held only while someone uses it (the table does not grow)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def _take(self, key: str) -> asyncio.Lock:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        return lock

    def _drop(self, key: str) -> None:
        lock, users = self._locks[key]
        if users == 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    @asynccontextmanager
    async def hold(self, keys: Iterable[str], *, deadline: float | None = None) -> AsyncIterator[None]:
        """Hold every key's lock; keys are taken in sorted order so two holders never wait on each other.

        Waiting for the locks raises TurnTimeout at ``deadline`` (event-loop time); the body is not timed.
        """
        ordered = sorted(set(keys))
        held: list[asyncio.Lock] = []
        try:
            for key in ordered:
                lock = self._take(key)
                try:
                    async with asyncio.timeout_at(deadline):
                        await lock.acquire()
                except TimeoutError:
                    self._drop(key)
                    raise TurnTimeout(f"no turn on {key} before the deadline") from None
                except BaseException:
                    self._drop(key)
                    raise
                held.append(lock)
            yield
        finally:
            for key, lock in zip(ordered, held, strict=False):
                lock.release()
                self._drop(key)


def pause(attempt: int, *, base_s: float = 0.005, cap_s: float = 0.25) -> float:
    """Full-jitter exponential back-off: a random pause in [0, min(cap, base · 2^attempt)]."""
    return random.uniform(0, min(cap_s, base_s * 2 ** min(attempt, 16)))  # spreads retries; not a secret
