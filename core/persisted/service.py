"""Persisted documents by hash: a bounded in-process LRU in front of the collection that all processes share."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from core.db import Database
from core.error_codes import ErrorCode
from core.errors import FieldError, ValidationFailed
from core.persisted.models import SHA256_HEX, PersistedQuery, document_hash
from core.persisted.repository import PersistedQueryRepository

CACHE_SIZE = 1000
FIELD = "extensions.persistedQuery.sha256Hash"


def check_hash(sha256: str) -> None:
    """Refuse a hash that is not 64 lower-case hex digits (INVALID_HASH)."""
    if not SHA256_HEX.match(sha256):
        raise ValidationFailed([FieldError(FIELD, "sha256Hash must be 64 lower-case hex digits",
                                           ErrorCode.INVALID_HASH)])


def verify(sha256: str, document: str) -> None:
    """Refuse a document whose SHA-256 is not the hash sent with it (PERSISTED_QUERY_HASH_MISMATCH)."""
    check_hash(sha256)
    if document_hash(document) != sha256:
        raise ValidationFailed([FieldError(FIELD, "sha256Hash is not the SHA-256 of the query",
                                           ErrorCode.PERSISTED_QUERY_HASH_MISMATCH)])


class PersistedQueryService:
    def __init__(self, database: Database, *, cache_size: int = CACHE_SIZE) -> None:
        self.repository = PersistedQueryRepository(database)
        self.cache_size = cache_size
        self.cache: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        """The document of a hash, from this process's cache or else the shared collection; None if unknown."""
        check_hash(sha256)
        document = self.cache.get(sha256)
        if document is None:
            found = await self.repository.get(sha256)
            if found is None:
                return None
            document = found.document
        self._remember(sha256, document)
        return document

    async def register(self, sha256: str, document: str) -> None:
        """Remember a document under its hash (verified again: the caller may not have)."""
        verify(sha256, document)
        if sha256 in self.cache:
            self.cache.move_to_end(sha256)
            return
        await self.repository.put(PersistedQuery(sha256=sha256, document=document, stored_at=datetime.now(UTC)))
        self._remember(sha256, document)

    def _remember(self, sha256: str, document: str) -> None:
        self.cache[sha256] = document
        self.cache.move_to_end(sha256)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
