"""Storage of user accounts and of the login-attempt counters."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from core.accounts.models import User
from core.db import CollectionSpec, Database

USERS, LOGIN_THROTTLE = "users", "login_throttle"
# A counter nobody touched for a day is forgotten (TTL); a lock longer than that keeps its own.
_KEEP = timedelta(days=1)
COLLECTIONS = [
    CollectionSpec(USERS, indexes=[IndexModel([("username", ASCENDING)], unique=True)]),
    CollectionSpec(LOGIN_THROTTLE, indexes=[IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]),
]


def _user(doc: dict[str, Any]) -> User:
    return User.model_validate({k: v for k, v in doc.items() if k != "_id"})


class UserRepository:
    def __init__(self, database: Database) -> None:
        self.collection = database[USERS]

    async def get(self, username: str) -> User | None:
        doc = await self.collection.find_one({"username": username})
        return _user(doc) if doc else None

    async def upsert(self, user: User) -> None:
        await self.collection.replace_one({"username": user.username}, user.model_dump(mode="python"), upsert=True)

    async def update(self, username: str, changes: dict[str, Any]) -> bool:
        """Set ``changes`` on the account; False when there is no such account."""
        result = await self.collection.update_one({"username": username}, {"$set": changes})
        return bool(result.matched_count)

    async def count(self) -> int:
        return await self.collection.count_documents({})


@dataclass(frozen=True)
class Counter:
    """One key's attempts in its current window (failures, and those still being checked), and its lock."""

    attempts: int
    pending: int
    locked_until: datetime | None

    @property
    def failures(self) -> int:
        return self.attempts - self.pending


def _counter(doc: dict[str, Any], now: datetime) -> Counter:
    locked = doc.get("locked_until")
    return Counter(int(doc["attempts"]), int(doc.get("pending", 0)), locked if locked and locked > now else None)


class ThrottleRepository:
    """Attempt counters, one small document per key (an address, an account, a pair of both).

    A document holds ``attempts`` in the window ending at ``window_until``, ``pending`` of them
    still being checked; a lock sets ``locked_until`` and ends the window with it. Every change is
    one atomic update, so concurrent logins each get their own count.
    """

    def __init__(self, database: Database) -> None:
        self.collection = database[LOGIN_THROTTLE]

    async def reserve(self, key: str, *, now: datetime, window: timedelta) -> Counter:
        """Count one more pending attempt on ``key``, starting a new window if the last one ended."""
        doc: dict[str, Any] | None = None
        for _ in range(4):
            doc = await self.collection.find_one_and_update(
                {"_id": key}, {"$inc": {"attempts": 1, "pending": 1}, "$max": {"expires_at": now + window + _KEEP}},
                return_document=ReturnDocument.AFTER)
            if doc is None:
                await self._create(key, now=now, window=window)
                continue
            if doc["window_until"] > now:
                return _counter(doc, now)
            # The window (or the lock that ended it) is over: the first to notice starts a new one,
            # everyone counted in the old one counts again in the new.
            await self.collection.update_one(
                {"_id": key, "window_until": doc["window_until"]},
                {"$set": {"attempts": 0, "pending": 0, "window_until": now + window, "locked_until": None}})
        if doc is None:
            raise RuntimeError(f"login counter {key} could not be created")
        return _counter(doc, now)

    async def _create(self, key: str, *, now: datetime, window: timedelta) -> None:
        # Insert, then count with a plain update: SecantusDB 0.7 sometimes answers concurrent upserting
        # findAndModify calls with no document although it applied them (measured: 1 to 10 in 20).
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one({"_id": key, "attempts": 0, "pending": 0, "window_until": now + window,
                                              "locked_until": None, "expires_at": now + window + _KEEP})

    async def settle(self, key: str, *, now: datetime, counted: bool) -> Counter:
        """A pending attempt is decided: it stays counted (a failure) or is given back (``counted=False``)."""
        # A window restarted meanwhile has zeroed the counts: never take them below zero.
        change = {"pending": -1} if counted else {"pending": -1, "attempts": -1}
        doc = await self.collection.find_one_and_update(
            {"_id": key, "pending": {"$gt": 0}, "attempts": {"$gt": 0}}, {"$inc": change},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            doc = await self.collection.find_one({"_id": key})
        return _counter(doc, now) if doc else Counter(0, 0, None)

    async def forget_failures(self, key: str, *, now: datetime) -> None:
        """After a success: keep only the attempts still being checked. A lock that holds stays."""
        for _ in range(3):
            doc = await self.collection.find_one({"_id": key})
            if doc is None or _counter(doc, now).locked_until is not None:
                return
            result = await self.collection.update_one(
                {"_id": key, "attempts": doc["attempts"], "pending": doc.get("pending", 0), "locked_until": None},
                {"$set": {"attempts": doc.get("pending", 0)}})
            if result.modified_count or doc["attempts"] == doc.get("pending", 0):
                return

    async def lock(self, key: str, *, now: datetime, until: datetime) -> None:
        """Lock ``key`` until ``until`` unless a lock already holds (the first one stands)."""
        await self.collection.update_one(
            {"_id": key, "$or": [{"locked_until": None}, {"locked_until": {"$lte": now}}]},
            {"$set": {"locked_until": until, "window_until": until}, "$max": {"expires_at": until + _KEEP}})

    async def clear(self, keys: list[str], *, prefixes: list[str]) -> None:
        """Forget these keys and every key starting with one of ``prefixes`` (an unlock)."""
        alternatives: list[dict[str, Any]] = [{"_id": {"$in": keys}}]
        alternatives += [{"_id": {"$regex": "^" + re.escape(prefix)}} for prefix in prefixes]
        await self.collection.delete_many({"$or": alternatives})
