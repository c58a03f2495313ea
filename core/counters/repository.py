"""Monotonic sequence ranges kept in a small ``counters`` collection (cheap on SecantusDB)."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from core.db import CollectionSpec, Database

COLLECTIONS = [CollectionSpec("counters")]


async def reserve(database: Database, name: str, count: int, *, session: AsyncClientSession | None = None) -> int:
    """Reserve ``count`` consecutive numbers; returns the first of them (numbers start at 1)."""
    doc = await database["counters"].find_one_and_update(
        {"_id": name}, {"$inc": {"value": count}}, upsert=True,
        return_document=ReturnDocument.AFTER, session=session,
    )
    assert doc is not None  # an upsert returning the document AFTER always finds one
    return int(doc["value"]) - count + 1


async def current(database: Database, name: str) -> int:
    """The last number handed out (0 before the first reservation)."""
    doc = await database["counters"].find_one({"_id": name})
    return int(doc["value"]) if doc else 0
