"""Whole-database reads and writes for backups: every collection as raw BSON inside one snapshot, and restores.

The only pymongo code of ``core.operations``. Documents travel as raw BSON bytes (``RawBSONDocument``), so a
backup and its restore never decode and re-encode a value: types (dates, decimals, binary) come back exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING
from pymongo.read_concern import ReadConcern

from core.db import Database

FILES, CHUNKS = "fs.files", "fs.chunks"  # GridFS (core/evidence/repository.py stores evidence there)
RAW = CodecOptions(document_class=RawBSONDocument)
BATCH = 1000  # documents per insert_many on restore
BATCH_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    """A GridFS file as its chunks hold it: id (as text), length in bytes, SHA-256 of the content, chunk count."""

    file_id: str
    length: int
    sha256: str
    chunks: int


@dataclass
class Snapshot:
    """An open read-only transaction (read concern ``snapshot``) and the collections it covers."""

    session: Any
    names: list[str]


class BackupRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def collection_names(self) -> list[str]:
        """The application's collections (not ``system.*``), by name."""
        return sorted(n for n in await self.database.db.list_collection_names() if not n.startswith("system."))

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Snapshot]:
        """Reads that all see one point in time. MongoDB: a snapshot session (read concern ``snapshot`` at the
        cluster time of its first read; bounded by ``minSnapshotHistoryWindowInSeconds``, not by the 60 s life of
        a transaction). SecantusDB (the capability check, ``ServerProfile``): its snapshot sessions read the
        latest data, so a read-only transaction instead, whose reads all see the snapshot of its first read.
        listCollections cannot run in a transaction: the names are read just before it starts."""
        names = await self.collection_names()
        if not self.database.profile.secantus:
            async with self.database.client.start_session(snapshot=True) as session:
                yield Snapshot(session=session, names=names)
            return
        async with self.database.start_session() as session:
            await session.start_transaction(read_concern=ReadConcern("snapshot"))
            try:
                yield Snapshot(session=session, names=names)
            finally:
                if session.in_transaction:
                    await session.abort_transaction()  # nothing was written; aborting ends the snapshot

    async def documents(self, snapshot: Snapshot, name: str) -> AsyncIterator[bytes]:
        """Each document of ``name`` as raw BSON, in ``_id`` order."""
        collection: Any = self.database.db.get_collection(name, codec_options=RAW)
        async for doc in collection.find({}, session=snapshot.session).sort("_id", ASCENDING):
            yield bytes(doc.raw)

    async def file_digests(self, snapshot: Snapshot | None = None) -> list[FileDigest]:
        """Every GridFS file (``fs.files``) with the length and SHA-256 of what its chunks hold, by id."""
        session = snapshot.session if snapshot is not None else None
        found: list[FileDigest] = []
        async for meta in self.database[FILES].find({}, {"_id": 1}, session=session).sort("_id", ASCENDING):
            digest, length, count = hashlib.sha256(), 0, 0
            cursor = self.database[CHUNKS].find({"files_id": meta["_id"]}, {"_id": 0, "data": 1}, session=session)
            async for chunk in cursor.sort("n", ASCENDING):
                data = bytes(chunk["data"])
                digest.update(data)
                length, count = length + len(data), count + 1
            found.append(FileDigest(file_id=str(meta["_id"]), length=length, sha256=digest.hexdigest(), chunks=count))
        return found

    async def counts(self) -> dict[str, int]:
        """Documents per collection (those that hold any count, the others show 0)."""
        return {name: await self.database.db[name].count_documents({}) for name in await self.collection_names()}

    async def insert_raw(self, name: str, documents: list[bytes]) -> None:
        """Insert documents given as raw BSON, as they are: no validator runs (they passed it when first stored)."""
        if documents:
            collection: Any = self.database.db.get_collection(name, codec_options=RAW)
            await collection.insert_many([RawBSONDocument(doc) for doc in documents], ordered=True,
                                         bypass_document_validation=True)

    async def clear(self, names: list[str]) -> None:
        """Delete every document of ``names``; the collections, their indexes and validators stay."""
        for name in names:
            await self.database.db[name].delete_many({})
