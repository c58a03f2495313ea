"""Loads the division and industry tables once and answers look-ups on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    name_en: str
    parent: str | None
    lon: tuple[float, float]
    lat: tuple[float, float]


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    sector: str


def _load(name: str) -> dict[str, list[dict[str, Any]]]:
    """A table file: its one key maps to a list of rows."""
    loaded: dict[str, list[dict[str, Any]]] = json.loads(
        resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
    return loaded


@cache
def divisions() -> dict[str, Division]:
    rows = _load("divisions.json")["divisions"]
    return {
        row["code"]: Division(
            code=row["code"], name=row["name"], name_en=row["name_en"], parent=row["parent"],
            lon=tuple(row["lon"]), lat=tuple(row["lat"]),
        )
        for row in rows
    }


@cache
def industries() -> dict[str, Industry]:
    rows = _load("industries.json")["industries"]
    return {row["code"]: Industry(**row) for row in rows}


def ancestors(code: str) -> list[str]:
    """The division itself followed by its parents up to the root."""
    table = divisions()
    path: list[str] = []
    current: str | None = code
    while current is not None:
        path.append(current)
        current = table[current].parent
    return path


def is_within(code: str, scope: str) -> bool:
    """Whether division ``code`` lies inside (or is) division ``scope``."""
    return code in divisions() and scope in ancestors(code)


def root_code() -> str:
    return next(code for code, division in divisions().items() if division.parent is None)


@dataclass(frozen=True)
class FineRange:
    violation_type: str
    minimum: int
    maximum: int
    legal_basis: str


@cache
def statutory_fines() -> dict[str, FineRange]:
    rows = _load("statutory_fines.json")["fines"]
    return {row["violation_type"]: FineRange(**row) for row in rows}
