"""Progress of long operations (imports, the demo load, meter ingest, policy decisions): named phases with their
totals, told to whoever listens. The command line listens with progress bars; nothing else does, and then
reporting costs one context-variable read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol


class Reporter(Protocol):
    def phase(self, name: str, total: int | None) -> None:
        """A new phase starts (the previous one is over); ``total`` items, or None when unknown."""

    def advance(self, count: int) -> None:
        """``count`` more items of the current phase are done."""


_reporter: ContextVar[Reporter | None] = ContextVar("progress_reporter", default=None)


def listening() -> bool:
    """Whether anyone listens: a total that costs a query is worth counting only then."""
    return _reporter.get() is not None


def phase(name: str, total: int | None = None) -> None:
    reporter = _reporter.get()
    if reporter is not None:
        reporter.phase(name, total)


def advance(count: int = 1) -> None:
    reporter = _reporter.get()
    if reporter is not None:
        reporter.advance(count)


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Within this block (and the tasks it starts), progress goes to ``reporter`` (None: nowhere)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


def muted() -> contextlib.AbstractContextManager[None]:
    """A block whose own progress is not worth showing (a step inside a phase that counts it as one)."""
    return reporting(None)
