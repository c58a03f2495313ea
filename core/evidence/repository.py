"""Storage of evidence uploads: evidence documents, upload state, and GridFS files stored by SHA-256."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument, WriteConcern
from pymongo.errors import DuplicateKeyError, OperationFailure

from core.db import CollectionSpec, Database, chunks
from core.evidence.models import Evidence

EVIDENCE, UPLOADS, FILES, CHUNKS = "evidence", "evidence_uploads", "fs.files", "fs.chunks"
CHUNK_SIZE = 255 * 1024  # the GridFS default chunk size
READ_BATCH = 8  # chunks per cursor batch when reading back (~2 MiB held at a time)
_DUPLICATE_KEY = 11000
_JOURNALED = WriteConcern(j=True)

COLLECTIONS = [
    CollectionSpec(EVIDENCE, indexes=[
        IndexModel([("task_id", ASCENDING)]),
        IndexModel([("inspection_id", ASCENDING), ("status", ASCENDING)]),
    ], json_schema={"bsonType": "object",
                    "required": ["task_id", "inspection_id", "size", "sha256", "status", "received"]}),
    CollectionSpec(UPLOADS),
    CollectionSpec(FILES, indexes=[IndexModel([("filename", ASCENDING), ("uploadDate", ASCENDING)])]),
    CollectionSpec(CHUNKS, indexes=[IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)]),
]


def upload_files_id(evidence_id: str) -> str:
    return f"upload:{evidence_id}"


@dataclass(frozen=True)
class UploadState:
    """The part of an unfinished upload that does not fit in whole chunks, and how far finalizing got."""

    tail: bytes = b""
    verified: str | None = None  # the SHA-256 the stored bytes were found to have
    metadata: dict[str, Any] = field(default_factory=dict)
    resets: int = 0  # how often the stored bytes were discarded (the bytes below the offset changed)


def _evidence(doc: dict[str, Any]) -> Evidence:
    fields = Evidence.model_fields
    return Evidence.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()
                                    if k == "_id" or k in fields})


def _state(doc: dict[str, Any]) -> UploadState:
    return UploadState(tail=bytes(doc.get("tail", b"")), verified=doc.get("verified"),
                       metadata=dict(doc.get("metadata") or {}), resets=int(doc.get("resets", 0)))


def _is_duplicate(exc: OperationFailure) -> bool:
    details = exc.details or {}
    codes = {exc.code, *(error.get("code") for error in details.get("writeErrors", []))}
    return _DUPLICATE_KEY in codes


class EvidenceRepository:
    """The only pymongo code of evidence. Layout (GridFS-compatible: ``AsyncGridFSBucket`` reads every file):

    - ``fs.chunks`` ``{files_id, n, data}``, chunks of `CHUNK_SIZE`. While uploading, a file's whole chunks
      sit under ``files_id = "upload:<evidence id>"``; completed content lives under its SHA-256 hex.
    - ``fs.files`` ``{_id: sha256, length, chunkSize, uploadDate, filename, metadata}``: content stored once.
    - ``evidence_uploads`` ``{_id: evidence id, tail, resets, verified, metadata, finalize_until}``: the
      unaligned tail (< one chunk) of an unfinished upload, how often it was discarded, the verification
      result, and the lease of the one request finishing it.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, evidence_id: str) -> Evidence | None:
        doc = await self.database[EVIDENCE].find_one({"_id": evidence_id})
        return _evidence(doc) if doc else None

    async def upload_state(self, evidence_id: str) -> UploadState:
        return _state(await self.database[UPLOADS].find_one({"_id": evidence_id}) or {})

    async def commit(self, evidence_id: str, *, expected: int, received: int, first_n: int,
                     pieces: list[bytes], tail: bytes | None) -> bool:
        """Store whole chunks from ``first_n`` on, the new tail (None: unchanged) and the new offset, all or nothing.

        False (and nothing written) when the stored offset is no longer ``expected``: another request
        moved it, or the upload completed meanwhile.
        """
        docs = [{"files_id": upload_files_id(evidence_id), "n": first_n + i, "data": data}
                for i, data in enumerate(pieces)]

        async def write(session: Any) -> bool:
            moved = await self.database[EVIDENCE].update_one(
                {"_id": evidence_id, "received": expected, "status": "pending"},
                {"$set": {"received": received}}, session=session)
            if moved.matched_count != 1:
                await session.abort_transaction()
                return False
            if docs:
                await self.database[CHUNKS].insert_many(docs, session=session)
            if tail is not None:
                await self.database[UPLOADS].update_one({"_id": evidence_id}, {"$set": {"tail": tail}},
                                                        upsert=True, session=session)
            return True

        async with self.database.start_session() as session:
            try:
                return bool(await session.with_transaction(write))
            except OperationFailure as exc:
                if _is_duplicate(exc):  # chunks under this upload beyond the offset: another writer won
                    return False
                raise

    async def read_chunks(self, files_id: str, *, below: int | None = None) -> AsyncGenerator[tuple[int, bytes]]:
        """``(n, data)`` of a file's chunks in order (those with n < ``below``), a few chunks in memory at a time."""
        query: dict[str, Any] = {"files_id": files_id}
        if below is not None:
            query["n"] = {"$lt": below}
        cursor = self.database[CHUNKS].find(query, {"_id": 0, "n": 1, "data": 1})
        async for doc in cursor.sort("n", ASCENDING).batch_size(READ_BATCH):
            yield int(doc["n"]), bytes(doc["data"])

    async def claim_finalize(self, evidence_id: str, *, ttl: timedelta) -> UploadState | None:
        """The lease to finalize an upload (verify, store, complete); None while another request holds it."""
        now = datetime.now(UTC)
        try:
            doc = await self.database[UPLOADS].find_one_and_update(
                {"_id": evidence_id, "$or": [{"finalize_until": None}, {"finalize_until": {"$lt": now}}]},
                {"$set": {"finalize_until": now + ttl}}, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            return None  # the document exists and its lease is held
        return None if doc is None else _state(doc)

    async def release_finalize(self, evidence_id: str) -> None:
        await self.database[UPLOADS].update_one({"_id": evidence_id}, {"$set": {"finalize_until": None}})

    async def mark_verified(self, evidence_id: str, sha256: str, metadata: dict[str, Any]) -> None:
        await self.database[UPLOADS].update_one({"_id": evidence_id},
                                                {"$set": {"verified": sha256, "metadata": metadata}})

    async def reset(self, evidence_id: str) -> None:
        """Forget every stored byte of an unfinished upload; the offset goes back to 0.

        Chunks go first: a crash in between leaves the offset at the full size over missing chunks,
        which the next verification finds wrong and resets again.
        """
        await self.database[CHUNKS].delete_many({"files_id": upload_files_id(evidence_id)})
        async with self.database.start_session() as session, await session.start_transaction():
            await self.database[EVIDENCE].update_one({"_id": evidence_id, "status": "pending"},
                                                     {"$set": {"received": 0}}, session=session)
            await self.database[UPLOADS].update_one(
                {"_id": evidence_id}, {"$set": {"tail": b"", "verified": None, "metadata": {}},
                                       "$inc": {"resets": 1}}, upsert=True, session=session)

    async def store_content(self, evidence_id: str, sha256: str, *, length: int, filename: str,
                            content_type: str) -> None:
        """Make the verified upload the GridFS file ``sha256``; content already stored is kept once.

        Idempotent, and safe to resume after a crash half-way: chunk ``n`` of a content hash holds the
        same bytes whichever upload it came from, so a chunk already present under the hash is kept and
        the upload's copy dropped.
        """
        staged = upload_files_id(evidence_id)
        if await self.database[FILES].find_one({"_id": sha256}, {"_id": 1}) is None:
            await self._move_chunks(staged, sha256)
            expected = -(-length // CHUNK_SIZE)
            present = await self.database[CHUNKS].count_documents({"files_id": sha256})
            if present != expected:
                raise RuntimeError(f"evidence {evidence_id}: {present} of {expected} chunks of {sha256} stored")
            try:
                await self.database[FILES].insert_one({
                    "_id": sha256, "length": length, "chunkSize": CHUNK_SIZE, "uploadDate": datetime.now(UTC),
                    "filename": filename, "metadata": {"contentType": content_type, "sha256": sha256}})
            except DuplicateKeyError:
                pass  # the same content finished through another upload meanwhile
        await self.database[CHUNKS].delete_many({"files_id": staged})

    async def _move_chunks(self, staged: str, sha256: str) -> None:
        for _ in range(5):
            try:
                await self.database[CHUNKS].update_many({"files_id": staged}, {"$set": {"files_id": sha256}})
                return
            except OperationFailure as exc:
                if not _is_duplicate(exc):
                    raise
            # Another upload of the same content placed some chunks first: drop our copies of those.
            present = [doc["n"] async for doc in self.database[CHUNKS].find({"files_id": sha256}, {"n": 1})]
            for numbers in chunks(present):
                await self.database[CHUNKS].delete_many({"files_id": staged, "n": {"$in": numbers}})
        raise RuntimeError(f"could not move the chunks of {staged} to {sha256}")

    async def complete(self, evidence_id: str, *, file_id: str, metadata: dict[str, Any],
                       completed_at: datetime) -> Evidence | None:
        """Mark the evidence complete (journaled); None when it already was (another request finished it)."""
        collection = self.database[EVIDENCE].with_options(write_concern=_JOURNALED)
        doc = await collection.find_one_and_update(
            {"_id": evidence_id, "status": "pending"},
            {"$set": {"status": "complete", "file_id": file_id, "metadata": metadata,
                      "completed_at": completed_at}}, return_document=ReturnDocument.AFTER)
        if doc is None:
            return None
        await self.database[UPLOADS].delete_one({"_id": evidence_id})
        return _evidence(doc)

    async def file_length(self, file_id: str) -> int | None:
        doc = await self.database[FILES].find_one({"_id": file_id}, {"length": 1})
        return int(doc["length"]) if doc else None
