"""What loading the demo data reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoLoad:
    """``serve --demo`` at start: the loader's one-line summary and how many policy decisions were recorded."""

    summary: str
    decisions: int
