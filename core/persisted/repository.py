"""The ``persisted_queries`` collection: documents by hash, shared by every API process, forgotten after a while."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel

from core.db import CollectionSpec, Database, is_duplicate_key
from core.persisted.models import PersistedQuery

PERSISTED_QUERIES = "persisted_queries"
# A document is forgotten this long after it was stored (TTL), so that the collection does not grow for ever; a
# client that still sends its hash is answered PERSISTED_QUERY_NOT_FOUND and registers it again, as the protocol
# provides.
KEEP = timedelta(days=30)

COLLECTIONS = [
    CollectionSpec(PERSISTED_QUERIES, indexes=[IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]),
]


def _model(doc: dict[str, Any]) -> PersistedQuery:
    return PersistedQuery(sha256=doc["_id"], document=doc["document"], stored_at=doc["stored_at"])


class PersistedQueryRepository:
    def __init__(self, database: Database) -> None:
        self.collection = database[PERSISTED_QUERIES]

    async def get(self, sha256: str) -> PersistedQuery | None:
        doc = await self.collection.find_one({"_id": sha256})
        return _model(doc) if doc else None

    async def put(self, query: PersistedQuery) -> None:
        """Store a document once; a hash stored already (by this or another process) names the same text."""
        try:
            await self.collection.insert_one({"_id": query.sha256, "document": query.document,
                                              "stored_at": query.stored_at, "expires_at": query.stored_at + KEEP})
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
