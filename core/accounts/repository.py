"""Storage of user accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument

from core.accounts.models import User
from core.db import CollectionSpec, Database

USERS = "users"
COLLECTIONS = [CollectionSpec(USERS, indexes=[IndexModel([("username", ASCENDING)], unique=True)])]


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

    async def record_failure(self, username: str, *, lock_after: int, locked_until: datetime) -> int:
        doc = await self.collection.find_one_and_update(
            {"username": username}, {"$inc": {"failed_logins": 1}}, return_document=ReturnDocument.AFTER
        )
        failures = int(doc["failed_logins"]) if doc else 0
        if failures >= lock_after:
            await self.collection.update_one(
                {"username": username}, {"$set": {"locked_until": locked_until, "failed_logins": 0}}
            )
        return failures

    async def record_success(self, username: str) -> None:
        await self.collection.update_one(
            {"username": username}, {"$set": {"failed_logins": 0, "locked_until": None}}
        )

    async def count(self) -> int:
        return await self.collection.count_documents({})
