"""Screening what a device sent before anything is applied: a bad op is REJECTED alone, with a code.

An op may be anything a client can send: not an object, a payload that is a number or a list, a
value JSON cannot carry back (NaN, Infinity), an integer BSON cannot store (outside 64 bits), a lone
UTF-16 surrogate, a key BSON refuses (a NUL byte) or that reads as an operator (``$``), a time no
clock shows. Each becomes one ``REJECTED`` result — ``BAD_USER_INPUT`` for values that could never
be stored and read back, ``MALFORMED_OP`` for the wrong shape, ``INVALID_TIMESTAMP`` and
``INVALID_COORDINATES`` — and never an error for the whole push.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from core.error_codes import ErrorCode
from core.fieldwork.models import OpResult, OpStatus, SyncOp
from core.jsonsafe import find_unsafe, sanitise_for_output

MAX_PAYLOAD_BYTES = 64 * 1024  # a finding or an answer is a few hundred bytes; evidence goes over HTTP
MAX_ECHO = 200  # characters of a bad op id echoed back
_FIELD_CODES = {"place": ErrorCode.INVALID_COORDINATES, "device_time": ErrorCode.INVALID_TIMESTAMP,
                "gps_time": ErrorCode.INVALID_TIMESTAMP}


def screen(raw: Any) -> SyncOp | OpResult:
    """The parsed op, or its REJECTED result."""
    if not isinstance(raw, dict):
        return rejected("", ErrorCode.MALFORMED_OP, f"an op is an object, not {type(raw).__name__}")
    op_id = _echo(raw.get("op_id"))
    problem = _unsafe(raw)
    if problem:
        return rejected(op_id, ErrorCode.BAD_USER_INPUT, problem)
    payload = raw.get("payload")
    if isinstance(payload, dict) and _size(payload) > MAX_PAYLOAD_BYTES:
        return rejected(op_id, ErrorCode.PAYLOAD_TOO_LARGE, f"payload: more than {MAX_PAYLOAD_BYTES} bytes as JSON")
    try:
        return SyncOp.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "op"
        code = _FIELD_CODES.get(str(first["loc"][0]) if first["loc"] else "", ErrorCode.MALFORMED_OP)
        return rejected(op_id, code, f"{where}: {first['msg']}")


def rejected(op_id: str, code: ErrorCode, message: str) -> OpResult:
    return OpResult(op_id=op_id, status=OpStatus.REJECTED, code=code, message=sanitise_for_output(message))


def _echo(op_id: Any) -> str:
    """The op id as the result names it; a non-string or broken one is echoed as far as it can be."""
    if isinstance(op_id, bool) or not isinstance(op_id, str | int):
        return ""
    return str(sanitise_for_output(str(op_id)))[:MAX_ECHO]


def _unsafe(raw: dict[str, Any]) -> str | None:
    # Times arrive parsed from GraphQL (datetime) or as text from other callers; both are checked later.
    plain = {k: v for k, v in raw.items() if not isinstance(v, datetime)}
    problem = find_unsafe(plain) or _bad_key(plain, "$")
    return problem.removeprefix("$.") if problem else None


def _bad_key(value: Any, path: str) -> str | None:
    """A key BSON cannot store (NUL) or that MongoDB reads as an operator (a leading ``$``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key or key.startswith("$"):
                return f"{path}: key {key!r} holds a NUL byte or starts with $"
            problem = _bad_key(item, f"{path}.{key}")
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _bad_key(item, f"{path}[{index}]")
            if problem:
                return problem
    return None


def _size(payload: dict[str, Any]) -> int:
    """Bytes as compact JSON; only called on values that are JSON already (screened or made storable)."""
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def storable(raw: Any) -> Any:
    """A copy of what the device sent that BSON will store, whatever it holds (for ``sync_rejections``).

    Times become ISO text (an offset can push one past year 9999), keys lose NUL bytes and leading
    dollars, values go through ``sanitise_for_output``; a payload too large to keep is summarised.
    """
    copy = _storable(raw, 0)
    if isinstance(copy, dict) and isinstance(copy.get("payload"), dict | list) and (
            _size({"p": copy["payload"]}) > MAX_PAYLOAD_BYTES):
        copy["payload"] = {"truncated": f"more than {MAX_PAYLOAD_BYTES} bytes"}
    return copy


def _storable(raw: Any, depth: int) -> Any:
    if depth > 40:
        return "…"
    if isinstance(raw, dict):
        return {_storable_key(k): _storable(v, depth + 1) for k, v in list(raw.items())[:1000]}
    if isinstance(raw, list | tuple):
        return [_storable(v, depth + 1) for v in raw[:1000]]
    if isinstance(raw, datetime):
        return raw.isoformat()
    if raw is None or isinstance(raw, bool | int | float | str):
        return sanitise_for_output(raw)
    return str(sanitise_for_output(repr(raw)))[:MAX_ECHO]


def _storable_key(key: Any) -> str:
    text = str(sanitise_for_output(key if isinstance(key, str) else repr(key))).replace("\x00", "\ufffd")
    return "\uff04" + text[1:] if text.startswith("$") else text  # a full-width dollar: kept, not an operator
