"""What a stored JSON value may hold: finite numbers, 64-bit integers, well-formed strings.

Devices and editors send free JSON (sync payloads, golden-case facts, event details). BSON has no
integer wider than 64 bits, JSON has no NaN or Infinity, and a lone UTF-16 surrogate cannot be
encoded as UTF-8: any of these, once stored, breaks every later read of the document. Each is
refused at the edge with ``BAD_USER_INPUT``; ``find_unsafe`` names the first offending path.
"""

from __future__ import annotations

import math
import re
from typing import Any

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def _bad_string(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def find_unsafe(value: Any, path: str = "$", depth: int = 0) -> str | None:
    """The first problem in ``value`` as "path: reason", or None when it can be stored and read back."""
    if depth > MAX_DEPTH:
        return f"{path}: nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, dict):
        return _unsafe_in_object(value, path, depth)
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = find_unsafe(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    return _unsafe_scalar(value, path)


def _unsafe_in_object(value: dict[Any, Any], path: str, depth: int) -> str | None:
    for key, item in value.items():
        if not isinstance(key, str):
            return f"{path}: object keys must be strings"
        if _bad_string(key):
            return f"{path}: key holds a lone surrogate"
        problem = find_unsafe(item, f"{path}.{key}", depth + 1)
        if problem:
            return problem
    return None


def _unsafe_scalar(value: Any, path: str) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else f"{path}: integer outside the 64-bit range"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path}: {value!r} is not a finite number"
    if isinstance(value, str):
        return f"{path}: string holds a lone surrogate" if _bad_string(value) else None
    return f"{path}: {type(value).__name__} is not a JSON value"


def sanitise_for_output(value: Any, depth: int = 0) -> Any:
    """A copy that any JSON encoder accepts: for documents stored before the edge refused bad values.

    Non-finite floats become None, over-wide integers become strings, lone surrogates become U+FFFD.
    Reads never fail on what an older version let in.
    """
    if depth > MAX_DEPTH * 2:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        return str(value)
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _bad_string(value) else value
    if isinstance(value, dict):
        return {sanitise_for_output(k, depth + 1) if isinstance(k, str) else str(k): sanitise_for_output(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitise_for_output(v, depth + 1) for v in value]
    return value
