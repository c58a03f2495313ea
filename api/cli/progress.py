"""Progress bars of the command line: one line per phase with its count, total, rate and time (on stderr, so
that what a command prints on stdout stays clean for scripts)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from core import progress
from core.registry.sources import SourceError, open_rows


class RateColumn(ProgressColumn):
    """Items per second of the phase."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("")
        return Text(f"{speed:,.0f}/s" if speed >= 10 else f"{speed:.1f}/s", style="progress.data.speed")


class BarReporter:
    """A ``core.progress.Reporter`` drawing a bar per phase; a finished phase keeps its line with its figures."""

    def __init__(self, bars: Progress, first: str | None, total: int | None) -> None:
        self.bars = bars
        self.task: TaskID | None = None
        if first is not None:
            self.phase(first, total)

    def phase(self, name: str, total: int | None) -> None:
        if self.task is not None and self.bars.tasks[self.task].description == name \
                and not self.bars.tasks[self.task].completed:
            self.bars.update(self.task, total=total)  # the code inside announces the phase the caller began
            return
        self._finish()
        self.task = self.bars.add_task(name, total=total)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.bars.advance(self.task, count)

    def _finish(self) -> None:
        if self.task is not None:
            done = self.bars.tasks[self.task].completed
            self.bars.update(self.task, total=done, completed=done)  # a total that was unknown becomes the count


@contextlib.contextmanager
def bars(first: str | None = None, total: int | None = None) -> Iterator[BarReporter]:
    """Report the progress of what runs inside (``core.progress``) as bars, starting with phase ``first`` (else
    with the first phase the code inside announces)."""
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as shown:
        reporter = BarReporter(shown, first, total)
        with progress.reporting(reporter):
            yield reporter
        reporter._finish()


def count_rows(file: Path) -> int | None:
    """The rows of ``file`` (a bar's total), read once ahead; None when it cannot be read (the import says why)."""
    try:
        return sum(1 for _ in open_rows(file, []))
    except (SourceError, OSError, ValueError):
        return None
