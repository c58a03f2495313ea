"""Storage of tus upload resources (``evidence_tus_uploads``); the bytes stay in the evidence's chunk storage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel

from core.db import CollectionSpec, Database
from core.evidence.tus.models import TusUpload

TUS_UPLOADS = "evidence_tus_uploads"

# An expired resource answers 410 until the TTL monitor removes it, then 404 (both are what tus allows).
COLLECTIONS = [
    CollectionSpec(TUS_UPLOADS, indexes=[IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
                                         IndexModel([("evidence_id", ASCENDING)])],
                   json_schema={"bsonType": "object", "required": ["evidence_id", "created_by", "expires_at"]}),
]


def _upload(doc: dict[str, Any]) -> TusUpload:
    return TusUpload(id=doc["_id"], evidence_id=doc["evidence_id"], created_by=doc["created_by"],
                     created_at=doc["created_at"], expires_at=doc["expires_at"])


class TusUploadRepository:
    """The only pymongo code of tus uploads: one document per upload resource, ``_id`` the id in its URL."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def insert(self, upload: TusUpload) -> None:
        await self.database[TUS_UPLOADS].insert_one({
            "_id": upload.id, "evidence_id": upload.evidence_id, "created_by": upload.created_by,
            "created_at": upload.created_at, "expires_at": upload.expires_at})

    async def get(self, upload_id: str) -> TusUpload | None:
        doc = await self.database[TUS_UPLOADS].find_one({"_id": upload_id})
        return _upload(doc) if doc else None

    async def extend(self, upload_id: str, expires_at: datetime) -> None:
        await self.database[TUS_UPLOADS].update_one({"_id": upload_id}, {"$set": {"expires_at": expires_at}})

    async def delete_for_evidence(self, evidence_id: str) -> None:
        """Every resource of the evidence: terminating one upload discards the bytes all of them shared."""
        await self.database[TUS_UPLOADS].delete_many({"evidence_id": evidence_id})
