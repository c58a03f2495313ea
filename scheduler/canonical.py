"""Canonical JSON of the draw protocol v2: one byte string per value, so that hashes agree in any language.

Rules (docs/draw-spec.md §2): objects with keys sorted by their UTF-16 code units as JSON sorts them
(here: Python's ``sort_keys``, which orders by code point; every key the protocol writes is ASCII, where
the two orders agree), no whitespace, strings as UTF-8 without ``\\u`` escapes except those JSON requires,
integers in decimal, ``true``/``false``/``null``; no floating-point numbers anywhere (weights, ratios and
inclusion probabilities are strings: decimals or exact fractions ``n/d``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


class CanonicalError(ValueError):
    """A value that has no canonical form (a float, a non-string key, an unknown type)."""


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floating-point numbers have no canonical form; write a decimal string")
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: key {key!r} is not a string")
            _check(item, f"{path}.{key}")
        return
    raise CanonicalError(f"{path}: {type(value).__name__} has no canonical form")


def dumps(value: Any, *, checked: bool = True) -> bytes:
    """The canonical bytes of ``value`` (``checked=False`` skips the type walk for values built here)."""
    if checked:
        _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def digest(value: Any, *, checked: bool = True) -> str:
    """SHA-256 of the canonical bytes, as 64 lowercase hex digits."""
    return hashlib.sha256(dumps(value, checked=checked)).hexdigest()
