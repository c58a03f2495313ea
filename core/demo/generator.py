"""Deterministic synthetic Shaanxi enterprises and inspectors (flat rows), and the demo matters.

The rows come from ``enterprises.py`` and ``inspectors.py``, drawn from the province's profile
(``profile.py``); this module is where the loader, the tests and the benchmarks take them from.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from core.demo.enterprises import generate_enterprises
from core.demo.inspectors import DEMO_INSPECTORS, generate_inspectors
from core.demo.profile import DEFAULT_SEED

__all__ = ["DEFAULT_SEED", "DEMO_INSPECTORS", "generate_enterprises", "generate_inspectors", "matters"]


@cache
def _matters_text() -> str:
    return resources.files(__package__).joinpath("matters.json").read_text(encoding="utf-8")


def matters() -> list[dict[str, Any]]:
    """The demo random-check item list (抽查事项); a fresh copy on every call."""
    return list(json.loads(_matters_text())["matters"])
