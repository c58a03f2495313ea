"""Keyset pages over an integer ``seq`` field, with bounded index ranges.

SecantusDB does not push ``limit`` down: ``{seq: {$gt: x}}`` with ``limit(11)`` reads every
later document. A bounded range ``{$gt: x, $lte: x + w}`` reads only the window, so a page is
read window by window (growing geometrically) until it is full or the sequence is exhausted.
On MongoDB (``ServerProfile.limit_pushdown``) a page is one query over the whole remaining range: the
server stops at the limit.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core.error_codes import ErrorCode
from core.errors import FieldError, ValidationFailed

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        if kind != "seq":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed([FieldError("after", "after is not a valid cursor", ErrorCode.INVALID_CURSOR)]) from exc


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise ValidationFailed(
            [FieldError("first", f"first must be between 1 and {MAX_PAGE}", ErrorCode.INVALID_PAGE_SIZE)]
        )


FetchWindow = Callable[[int, int, int], Awaitable[list[dict[str, Any]]]]


async def read_page(
    fetch: FetchWindow, *, after: int, first: int, max_seq: int, density_hint: float = 1.0,
    limit_pushdown: bool = False,
) -> tuple[list[dict[str, Any]], bool]:
    """Documents with ``seq > after`` in order, at most ``first``; and whether more exist.

    ``fetch(low, high, limit)`` returns documents with low < seq <= high sorted by seq. With ``limit_pushdown``
    the first window is the whole range (one query); only for a ``fetch`` that filters nothing in the client.
    """
    wanted = first + 1
    window = max(wanted, int(wanted / max(density_hint, 0.01)) * 2)
    if limit_pushdown:
        window = max(window, max_seq - after)
    low = after
    found: list[dict[str, Any]] = []
    while low < max_seq and len(found) < wanted:
        high = min(low + window, max_seq)
        found.extend(await fetch(low, high, wanted - len(found)))
        low, window = high, window * 4
    return found[:first], len(found) > first
