"""The audit hash chain, pure: one chain per UTC day, linking and verification (no storage).

Each chained entry carries ``seq`` (global), ``day``, ``n`` (its position in the day, from 1), ``prev``
(the hash of entry ``n - 1``, or the day's genesis for ``n = 1``) and ``hash`` = sha256(prev + the
canonical JSON of the entry's recorded fields). A day's head holds the last ``n``, the last hash and the
count, so that removing the last entries of a day is seen too. Times are hashed to the millisecond,
which is what BSON stores.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

# Set by the chainer (or the storage): never part of what an entry records.
CHAIN_FIELDS = frozenset({"_id", "seq", "day", "n", "prev", "hash", "pending"})
GENESIS_PREFIX = "ecoinspect-audit:"


def millis(at: datetime) -> datetime:
    """``at`` in UTC, truncated to the millisecond (BSON's precision)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def day_of(at: datetime) -> str:
    return millis(at).date().isoformat()


def day_start(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)


def genesis(day: str) -> str:
    return hashlib.sha256(f"{GENESIS_PREFIX}{day}".encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return millis(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def canonical(entry: Mapping[str, Any]) -> str:
    """The recorded fields of ``entry`` (everything but the chain fields) as canonical JSON."""
    recorded = {k: _plain(v) for k, v in entry.items() if k not in CHAIN_FIELDS}
    return json.dumps(recorded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev + canonical(entry)).encode()).hexdigest()


@dataclass(frozen=True)
class Head:
    """The last link of one day's chain."""

    day: str
    n: int
    hash: str
    count: int
    first_seq: int
    last_seq: int


@dataclass(frozen=True)
class Link:
    """The chain fields given to one entry."""

    id: Any
    seq: int
    day: str
    n: int
    prev: str
    hash: str


def link(day: str, head: Head | None, entries: Sequence[Mapping[str, Any]], first_seq: int
         ) -> tuple[list[Link], Head]:
    """Chain ``entries`` (of ``day``, in (at, _id) order) after ``head``; their links and the new head."""
    n, prev = (head.n, head.hash) if head else (0, genesis(day))
    links = []
    for offset, entry in enumerate(entries):
        digest = entry_hash(prev, entry)
        n += 1
        links.append(Link(id=entry["_id"], seq=first_seq + offset, day=day, n=n, prev=prev, hash=digest))
        prev = digest
    last_seq = first_seq + len(entries) - 1
    new_head = Head(day=day, n=n, hash=prev, count=(head.count if head else 0) + len(entries),
                    first_seq=head.first_seq if head else first_seq, last_seq=last_seq)
    return links, new_head


@dataclass(frozen=True)
class Problem:
    """One break in a day's chain: ``kind`` is edited, deleted or reordered."""

    day: str
    kind: str
    n: int | None
    detail: str


class DayWalk:
    """Verifies one day's chain from its entries fed in ``n`` order, then its head (``finish``)."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.problems: list[Problem] = []
        self.count = 0
        self.missing = 0  # positions found missing in the walk (each already reported)
        self.last_n = 0
        self.last_hash = genesis(day)
        self.last_seq = 0

    def _problem(self, kind: str, n: int | None, detail: str) -> None:
        self.problems.append(Problem(self.day, kind, n, detail))

    def feed(self, entry: Mapping[str, Any]) -> None:
        n, ident = int(entry["n"]), entry.get("_id")
        expected = self.last_n + 1
        linked = True
        if n > expected:
            missing = f"n={expected}" if n == expected + 1 else f"n={expected}..{n - 1}"
            self._problem("deleted", expected, f"entries {missing} are missing")
            self.missing += n - expected
            linked = False  # a gap: the link to the missing entry cannot be checked
        elif n < expected:
            self._problem("reordered", n, f"entry {ident} repeats position n={n}")
        if linked and entry.get("prev") != self.last_hash:
            self._problem("reordered", n, f"entry {ident} at n={n} does not link to entry n={n - 1}")
        if entry.get("hash") != entry_hash(str(entry.get("prev")), entry):
            self._problem("edited", n, f"entry {ident} at n={n}: its content does not match its hash")
        elif day_of(entry["at"]) != self.day:
            self._problem("edited", n, f"entry {ident} at n={n} is dated outside {self.day}")
        seq = int(entry.get("seq") or 0)
        if seq <= self.last_seq:
            self._problem("reordered", n, f"entry {ident} at n={n} has seq {seq} after seq {self.last_seq}")
        self.count += 1
        self.last_n, self.last_hash, self.last_seq = n, str(entry.get("hash")), seq

    def finish(self, head: Head | None) -> list[Problem]:
        if head is None:
            self._problem("deleted", None, f"the head of {self.day} is missing ({self.count} entries)")
            return self.problems
        if head.n > self.last_n:
            missing = f"n={self.last_n + 1}" if head.n == self.last_n + 1 else f"n={self.last_n + 1}..{head.n}"
            self._problem("deleted", self.last_n + 1, f"entries {missing} are missing (the head ends at n={head.n})")
        elif head.n < self.last_n:
            self._problem("edited", head.n, f"the head ends at n={head.n} but entries go on to n={self.last_n}")
        elif head.count != self.count + self.missing:
            self._problem("deleted", None, f"the head counts {head.count} entries; {self.count} found")
        elif head.hash != self.last_hash:
            self._problem("edited", self.last_n, f"the head's hash does not match entry n={self.last_n}")
        return self.problems
