"""Append-only storage of the audit trail: entries and per-day chain heads.

Entries are inserted chained (request-level entries, by the writer) or pending (the services' own records,
in their transactions), and a pending entry is chained once: its chain fields are set, with its recorded
fields unchanged. Only the retention purge deletes entries, whole days at a time. There is no other update
or delete.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError

from core import counters
from core.audit import chain
from core.audit.models import AuditEntry, AuditFilter, AuditScope
from core.db import DUPLICATE_KEY, CollectionSpec, Database, TransactionBusy, chunks
from core.pagination import read_page

AUDIT, HEADS = "audit", "audit_heads"
SEQUENCE = "audit"  # the counter that hands out ``seq``
LEGACY_MARK = "audit-legacy-adopted"  # counter set once entries stored before the chain are marked pending
COLLECTIONS = [
    CollectionSpec(
        AUDIT,
        indexes=[IndexModel([("at", DESCENDING)]), IndexModel([("target", ASCENDING), ("at", DESCENDING)]),
                 IndexModel([("seq", ASCENDING)], unique=True, sparse=True),
                 IndexModel([("day", ASCENDING), ("n", ASCENDING)], unique=True, sparse=True),
                 IndexModel([("pending", ASCENDING)], sparse=True)],
        json_schema={
            "bsonType": "object",
            "required": ["actor", "action", "target", "request_id", "at", "outcome"],
        },
    ),
    CollectionSpec(HEADS),
]
WALK_WINDOW = 1000


class ChainRaced(TransactionBusy):
    """Another chainer moved the day's head (or chained the entries) first: nothing of this attempt was kept."""


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.collection = database[AUDIT]
        self.heads = database[HEADS]

    async def append(
        self, *, actor: str | None, action: str, target: str, request_id: str, outcome: str,
        detail: dict[str, Any] | None = None, session: Any = None,
    ) -> None:
        """A service's own record, written in the service's transaction (atomic with the change)."""
        _kind, _, key = target.partition(":")
        code = outcome.partition(":")[2] or None
        await self.collection.insert_one(
            {"actor": actor or "anonymous", "action": action, "target": target, "targets": [key or target],
             "request_id": request_id, "at": chain.millis(datetime.now(UTC)), "outcome": outcome,
             "code": code, "source": "service", "detail": detail or {}, "pending": True},
            session=session,
        )

    async def insert_many(self, documents: list[dict[str, Any]]) -> None:
        """Insert request-level entries. Safe to repeat after a failure: pymongo gave each its ``_id`` on the
        first attempt, and the entries already stored are skipped as duplicates."""
        if not documents:
            return
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if exc.details.get("writeConcernErrors") or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise

    async def recent(self, *, target: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        query = {"target": target} if target else {}
        return await self.collection.find(query, {"_id": 0}).sort("at", DESCENDING).limit(limit).to_list()

    # ------------------------------------------------------------------ chaining

    async def adopt_legacy(self) -> int:
        """Once per database: mark the entries stored before the chain existed as pending, so they get chained."""
        if await counters.current(self.database, LEGACY_MARK):
            return 0
        result = await self.collection.update_many({"hash": {"$exists": False}, "pending": {"$exists": False}},
                                                   {"$set": {"pending": True}})
        await counters.reserve(self.database, LEGACY_MARK, 1)
        return result.modified_count

    async def pending_days(self) -> list[str]:
        """The UTC days of the entries not chained yet, oldest first."""
        days = {chain.day_of(doc["at"]) async for doc in self.collection.find({"pending": True}, {"at": 1})}
        return sorted(days)

    async def chain_day(self, day: str, limit: int, fresh: Sequence[dict[str, Any]] = ()) -> int:
        """Chain ``day``'s entries in one transaction with the compare-and-set of the day's head: up to ``limit``
        stored entries still pending, and ``fresh`` ones (not stored yet: inserted here, already chained, which
        costs the database a fraction of an insert followed by an update), all in (at, _id) order. Returns how
        many; raises ``ChainRaced`` when another chainer moved the head first (then nothing was kept)."""
        for doc in fresh:
            doc.setdefault("_id", ObjectId())  # given once: a retry inserts the same entries, never twins

        async def work(session: Any) -> int:
            head = _head(await self.heads.find_one({"_id": day}, session=session))
            # Only the pending index: SecantusDB scans the whole collection for {pending, at range}.
            stored = [doc for doc in await self.collection.find({"pending": True}, session=session).to_list()
                      if chain.day_of(doc["at"]) == day]
            stored = sorted(stored, key=lambda d: (d["at"], d["_id"]))[:limit]
            entries = sorted([*stored, *fresh], key=lambda d: (d["at"], d["_id"]))
            if not entries:
                return 0
            first_seq = await counters.reserve(self.database, SEQUENCE, len(entries), session=session)
            links, new = chain.link(day, head, entries, first_seq)
            fields = {link.id: {"seq": link.seq, "day": link.day, "n": link.n, "prev": link.prev, "hash": link.hash}
                      for link in links}
            # A pending entry gets its chain fields by being written again whole (same _id, same recorded fields)
            # in this transaction: SecantusDB deletes and inserts a batch in a fraction of the time it takes to
            # update each document (measured: 20 entries, 37 ms against 60 ms).
            for part in chunks([doc["_id"] for doc in stored]):
                removed = await self.collection.delete_many({"_id": {"$in": part}, "pending": True}, session=session)
                if removed.deleted_count != len(part):
                    raise ChainRaced(f"entries of {day} were chained by another chainer")
            await self.collection.insert_many(
                [{**{k: v for k, v in doc.items() if k != "pending"}, **fields[doc["_id"]]} for doc in entries],
                session=session)
            moved = {"n": new.n, "hash": new.hash, "count": new.count, "first_seq": new.first_seq,
                     "last_seq": new.last_seq}
            if head is None:
                await self.heads.insert_one({"_id": day, **moved}, session=session)  # a rival's insert: duplicate
            else:
                cas = await self.heads.update_one({"_id": day, "n": head.n, "hash": head.hash},
                                                  {"$set": moved}, session=session)
                if cas.matched_count != 1:
                    raise ChainRaced(f"the head of {day} moved")
            return len(entries)

        return await self.database.transaction(work)

    async def stored_ids(self, ids: list[Any]) -> set[Any]:
        """Which of these entry ids are stored (after a commit whose outcome was unknown)."""
        found: set[Any] = set()
        for part in chunks(ids):
            found |= {doc["_id"] async for doc in self.collection.find({"_id": {"$in": part}}, {"_id": 1})}
        return found

    # ------------------------------------------------------------------ verification

    async def head(self, day: str) -> chain.Head | None:
        return _head(await self.heads.find_one({"_id": day}))

    async def heads_between(self, first: str | None = None, last: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if first or last:
            query["_id"] = {**({"$gte": first} if first else {}), **({"$lte": last} if last else {})}
        return await self.heads.find(query).sort("_id", ASCENDING).to_list()

    async def chained_days(self) -> list[str]:
        return sorted(str(day) for day in await self.collection.distinct("day") if day)

    async def count_day(self, day: str) -> int:
        return await self.collection.count_documents({"day": day})

    async def walk(self, day: str, until_n: int) -> AsyncIterator[dict[str, Any]]:
        """The chained entries of ``day`` in ``n`` order: windows up to ``until_n``, then any beyond it."""
        low = 0
        while low < until_n:
            high = min(low + WALK_WINDOW, until_n)
            for doc in await self.collection.find({"day": day, "n": {"$gt": low, "$lte": high}}
                                                  ).sort("n", ASCENDING).to_list():
                yield doc
            low = high
        for doc in await self.collection.find({"day": day, "n": {"$gt": until_n}}).sort("n", ASCENDING).to_list():
            yield doc

    # ------------------------------------------------------------------ reading

    async def page(self, scope: AuditScope, where: AuditFilter, *, after: int, first: int
                   ) -> tuple[list[AuditEntry], bool]:
        query = _query(scope, where)
        low, high = await self._bounds(where)

        async def fetch(lo: int, hi: int, limit: int) -> list[dict[str, Any]]:
            # The range goes first: SecantusDB then walks the seq index instead of every match of the filters.
            return await self.collection.find({"seq": {"$gt": lo, "$lte": hi}, **query}
                                              ).sort("seq", ASCENDING).limit(limit).to_list()

        docs, more = await read_page(fetch, after=max(after, low), first=first, max_seq=high,
                                     limit_pushdown=self.database.profile.limit_pushdown)
        return [_entry(d) for d in docs], more

    async def scan(self, scope: AuditScope, where: AuditFilter, *, batch: int = WALK_WINDOW
                   ) -> AsyncIterator[list[AuditEntry]]:
        """Every matching chained entry in ``seq`` order, window by window (flat memory)."""
        query = _query(scope, where)
        low, high = await self._bounds(where)
        while low < high:
            top = min(low + batch, high)
            docs = await self.collection.find({"seq": {"$gt": low, "$lte": top}, **query}
                                              ).sort("seq", ASCENDING).to_list()
            if docs:
                yield [_entry(d) for d in docs]
            low = top

    async def _bounds(self, where: AuditFilter) -> tuple[int, int]:
        """The seq range that can hold entries of the filter's time range: (after, last), from the day heads."""
        high = await counters.current(self.database, SEQUENCE)
        if where.at_from is None and where.at_to is None:
            return 0, high
        first = chain.day_of(where.at_from) if where.at_from else None
        last = chain.day_of(where.at_to) if where.at_to else None
        heads = await self.heads_between(first, last)
        if not heads:
            return 0, 0
        return min(int(h["first_seq"]) for h in heads) - 1, min(high, max(int(h["last_seq"]) for h in heads))

    # ------------------------------------------------------------------ retention

    async def expired_days(self, before: str) -> list[str]:
        return [str(h["_id"]) for h in await self.heads.find({"_id": {"$lt": before}}, {"_id": 1}).to_list()]

    async def purge_day(self, day: str) -> int:
        """Delete a whole day: its head is marked first, so an interrupted purge shows as one, then finished."""
        await self.heads.update_one({"_id": day}, {"$set": {"purging": True}})
        start = chain.day_start(day)
        removed = await self.collection.delete_many({"day": day})
        await self.collection.delete_many({"pending": True, "at": {"$gte": start, "$lt": start + timedelta(days=1)}})
        await self.heads.delete_one({"_id": day})
        return removed.deleted_count


def _head(doc: dict[str, Any] | None) -> chain.Head | None:
    if doc is None:
        return None
    return chain.Head(day=str(doc["_id"]), n=int(doc["n"]), hash=str(doc["hash"]), count=int(doc["count"]),
                      first_seq=int(doc.get("first_seq", 0)), last_seq=int(doc.get("last_seq", 0)))


def _query(scope: AuditScope, where: AuditFilter) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if not scope.everything:
        query["scope"] = {"$in": list(scope.jurisdictions)}
    if where.actor:
        query["actor"] = where.actor
    if where.operation:
        query["action"] = where.operation
    if where.target:
        query["targets"] = where.target
    if where.outcome:
        query["outcome"] = where.outcome if ":" in where.outcome else {
            "$regex": f"^{re.escape(where.outcome)}(:|$)"}
    if where.at_from or where.at_to:
        query["at"] = {**({"$gte": where.at_from} if where.at_from else {}),
                       **({"$lt": where.at_to} if where.at_to else {})}
    return query


def _entry(doc: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=str(doc["_id"]), at=doc["at"], actor=doc["actor"], roles=doc.get("roles", []),
        jurisdictions=doc.get("jurisdictions", []), operation=doc["action"], target=doc.get("target", ""),
        targets=doc.get("targets", []), outcome=doc["outcome"], code=doc.get("code"),
        request_id=doc.get("request_id", ""), address=doc.get("address"), source=doc.get("source", "service"),
        detail=doc.get("detail", {}), seq=doc.get("seq"), day=doc.get("day"), n=doc.get("n"),
        prev=doc.get("prev"), hash=doc.get("hash"))


__all__ = ["AUDIT", "COLLECTIONS", "HEADS", "AuditRepository", "ChainRaced"]
