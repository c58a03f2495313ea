"""Supervision of the embedded database: a child that exits unasked is restarted on its port, with back-off.

Runs as one task on the app's event loop; the restart itself (spawn, wait for "listening") runs in a
worker thread. The client keeps its URI, since the port is the same, and reconnects by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from core.embedded import EmbeddedServer, EmbeddedServerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Delays before successive restart attempts: 0.5, 1, 2, 4, 5, 5 … s; back to the first once the
    database has stayed up for ``reset_after_s`` (so that a crash loop does not spin)."""

    first_s: float = 0.5
    factor: float = 2.0
    max_s: float = 5.0
    reset_after_s: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_s, self.first_s * self.factor ** attempt))


class Supervisor:
    def __init__(self, server: EmbeddedServer, *, poll_s: float = 0.2, backoff: Backoff | None = None) -> None:
        self.server = server
        self.poll_s = poll_s
        self.backoff = backoff or Backoff()
        self.restarts = 0  # successful restarts, and failed attempts: for tests and for the log
        self.failures = 0
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="embedded-database-supervisor")

    async def stop(self) -> None:
        """Stop watching; a restart under way finishes first, so ``server.stop()`` can follow safely."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        attempt, up_since, down = 0, time.monotonic(), False
        while not await self._sleep(self.poll_s):
            if not self.server.crashed:
                down = False
                if attempt and time.monotonic() - up_since >= self.backoff.reset_after_s:
                    attempt = 0
                continue
            delay = self.backoff.delay(attempt)
            if not down:  # once per crash; failed attempts log their own line
                down = True
                log.error("embedded database exited unexpectedly; restarting it",
                          extra={"returncode": self.server.returncode, "port": self.server.port, "delay_s": delay})
            attempt += 1
            if await self._sleep(delay):
                return
            if await self._restart(attempt):
                up_since = time.monotonic()

    async def _restart(self, attempt: int) -> bool:
        try:
            uri = await asyncio.to_thread(self.server.restart)
        except EmbeddedServerError as exc:
            self.failures += 1
            log.error("embedded database did not restart: %s", exc,
                      extra={"attempt": attempt, "next_in_s": self.backoff.delay(attempt)})
            return False
        except Exception:  # never let the supervisor die: it is the only thing that brings the database back
            self.failures += 1
            log.exception("embedded database restart failed", extra={"attempt": attempt})
            return False
        if uri is not None:
            self.restarts += 1
            log.warning("embedded database restarted", extra={"uri": uri, "attempt": attempt})
        return True

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, or return True at once when asked to stop."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True
