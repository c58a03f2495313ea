"""Append-only storage of audit records: insert and read, never update or delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from core.db import CollectionSpec, Database

AUDIT = "audit"
COLLECTIONS = [
    CollectionSpec(
        AUDIT,
        indexes=[IndexModel([("at", DESCENDING)]), IndexModel([("target", ASCENDING), ("at", DESCENDING)])],
        json_schema={
            "bsonType": "object",
            "required": ["actor", "action", "target", "request_id", "at", "outcome"],
        },
    )
]


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self.collection = database[AUDIT]

    async def append(
        self, *, actor: str | None, action: str, target: str, request_id: str, outcome: str,
        detail: dict[str, Any] | None = None, session: Any = None,
    ) -> None:
        await self.collection.insert_one(
            {"actor": actor or "anonymous", "action": action, "target": target,
             "request_id": request_id, "at": datetime.now(UTC), "outcome": outcome,
             "detail": detail or {}},
            session=session,
        )

    async def recent(self, *, target: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        query = {"target": target} if target else {}
        return await self.collection.find(query, {"_id": 0}).sort("at", DESCENDING).limit(limit).to_list()
