"""The audit hash chain, pure: linking, canonical hashing to the millisecond, and what verification reports."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from core.audit import chain

DAY = "2026-03-04"
START = datetime(2026, 3, 4, 8, 0, 0, tzinfo=UTC)


def _entries(count: int) -> list[dict[str, Any]]:
    return [{"_id": f"id{i}", "at": START + timedelta(seconds=i, microseconds=123_456), "actor": f"user{i}",
             "action": "Mutation.openCase", "outcome": "ok", "targets": [f"case-{i}"], "detail": {"k": i}}
            for i in range(count)]


def _chained(count: int, first_seq: int = 1) -> tuple[list[dict[str, Any]], chain.Head]:
    entries = _entries(count)
    links, head = chain.link(DAY, None, entries, first_seq)
    for entry, link in zip(entries, links, strict=True):
        entry.update(seq=link.seq, day=link.day, n=link.n, prev=link.prev, hash=link.hash)
    return entries, head


def _walk(entries: list[dict[str, Any]], head: chain.Head | None) -> list[chain.Problem]:
    walk = chain.DayWalk(DAY)
    for entry in sorted(entries, key=lambda e: e["n"]):
        walk.feed(entry)
    return walk.finish(head)


def test_the_first_entry_links_to_the_days_genesis() -> None:
    entries, head = _chained(3)
    assert entries[0]["prev"] == hashlib.sha256(f"ecoinspect-audit:{DAY}".encode()).hexdigest()
    assert [e["n"] for e in entries] == [1, 2, 3] and [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[1]["prev"] == entries[0]["hash"] and entries[2]["prev"] == entries[1]["hash"]
    assert (head.n, head.hash, head.count, head.first_seq, head.last_seq) == (3, entries[2]["hash"], 3, 1, 3)


def test_linking_continues_after_the_head() -> None:
    entries, head = _chained(2)
    more = _entries(4)[2:]
    links, after = chain.link(DAY, head, more, 10)
    assert [link.n for link in links] == [3, 4] and links[0].prev == head.hash
    assert (after.count, after.first_seq, after.last_seq) == (4, 1, 11)


def test_the_hash_covers_recorded_fields_to_the_millisecond_only() -> None:
    entry = _entries(1)[0]
    as_stored = {**entry, "at": chain.millis(entry["at"]), "seq": 9, "n": 1, "hash": "x", "pending": True}
    assert chain.entry_hash("p", entry) == chain.entry_hash("p", as_stored)  # microseconds and chain fields
    assert chain.entry_hash("p", entry) != chain.entry_hash("p", {**entry, "outcome": "refused:FORBIDDEN"})
    assert chain.entry_hash("p", entry) != chain.entry_hash("q", entry)
    assert chain.canonical({"b": 1, "a": [START]}) == '{"a":["2026-03-04T08:00:00.000Z"],"b":1}'


def test_an_intact_day_verifies() -> None:
    entries, head = _chained(5)
    assert _walk(entries, head) == []


def test_an_edited_entry_is_reported() -> None:
    entries, head = _chained(5)
    entries[1]["outcome"] = "refused:FORBIDDEN"
    assert [(p.kind, p.n) for p in _walk(entries, head)] == [("edited", 2)]


def test_a_deleted_entry_is_a_gap() -> None:
    entries, head = _chained(5)
    del entries[2]
    assert [(p.kind, p.n) for p in _walk(entries, head)] == [("deleted", 3)]


def test_a_deleted_last_entry_shows_against_the_head() -> None:
    entries, head = _chained(5)
    assert [(p.kind, p.n) for p in _walk(entries[:-1], head)] == [("deleted", 5)]


def test_a_missing_head_is_reported() -> None:
    entries, _ = _chained(2)
    assert [(p.kind, p.n) for p in _walk(entries, None)] == [("deleted", None)]


def test_swapped_positions_are_a_reordering() -> None:
    entries, head = _chained(4)
    entries[1]["n"], entries[2]["n"] = 3, 2
    entries[1]["seq"], entries[2]["seq"] = 3, 2
    problems = _walk(entries, head)
    assert {p.kind for p in problems} == {"reordered"} and {p.n for p in problems} >= {2}


def test_edit_and_delete_are_both_reported_in_order() -> None:
    entries, head = _chained(6)
    entries[1]["actor"] = "someone-else"
    del entries[3]
    assert [(p.kind, p.n) for p in _walk(entries, head)] == [("edited", 2), ("deleted", 4)]


def test_day_of_is_the_utc_day() -> None:
    assert chain.day_of(datetime(2026, 3, 4, 23, 59, 59, 999_999, tzinfo=UTC)) == "2026-03-04"
    east = datetime(2026, 3, 5, 7, 0, tzinfo=UTC).astimezone(UTC) + timedelta(hours=-8)
    assert chain.day_of(east) == "2026-03-04"
