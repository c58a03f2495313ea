"""Backups as one archive file: every collection (GridFS included) read in one snapshot, with a manifest to verify.

The archive is a zip file:

- ``manifest.json``: format and version, when, from which server and database, how the read was made
  consistent, and per collection its document count, byte count and the SHA-256 of its file; per GridFS
  file its length and the SHA-256 of its content (the chunks in order);
- ``collections/<name>.bson``: the collection's documents as raw BSON, one after another (the format of
  ``mongodump``'s ``.bson`` files), in ``_id`` order.

A restore reads the whole archive and checks it against the manifest before it writes anything, refuses a
target that holds documents (unless forced), inserts, then checks the counts and the GridFS digests in the
target. Anything that fails after the first write empties the target's collections again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError
from core.operations.repository import BATCH, BATCH_BYTES, BackupRepository, FileDigest

log = logging.getLogger(__name__)
FORMAT, VERSION = "ecoinspect-backup", 1
MANIFEST = "manifest.json"
READ_SIZE = 1024 * 1024


class BackupInvalid(DomainError):
    """The archive is not a backup, or its contents (or what a restore wrote) do not match its manifest."""

    code = ErrorCode.BACKUP_INVALID


class RestoreTargetNotEmpty(Conflict):
    """The target database holds documents and the restore was not forced."""

    code = ErrorCode.RESTORE_TARGET_NOT_EMPTY


@dataclass(frozen=True)
class CollectionEntry:
    documents: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class BackupReport:
    path: Path
    collections: dict[str, CollectionEntry]
    files: int
    consistency: str

    @property
    def documents(self) -> int:
        return sum(entry.documents for entry in self.collections.values())


def member(name: str) -> str:
    return f"collections/{name}.bson"


class BackupService:
    """``ecoinspect db backup`` and ``db restore``."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = BackupRepository(database)

    async def backup(self, path: Path) -> BackupReport:
        """Write every collection and GridFS file, read in one snapshot, to the archive ``path`` (replaced whole:
        written beside it and renamed over it when complete)."""
        partial = path.with_name(f".{path.name}.partial")
        entries: dict[str, CollectionEntry] = {}
        consistency = await self._consistency()
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                async with self.repository.snapshot() as snapshot:
                    for name in snapshot.names:
                        digest, size, count = hashlib.sha256(), 0, 0
                        with archive.open(member(name), "w", force_zip64=True) as out:
                            async for raw in self.repository.documents(snapshot, name):
                                out.write(raw)
                                digest.update(raw)
                                size, count = size + len(raw), count + 1
                        entries[name] = CollectionEntry(documents=count, bytes=size, sha256=digest.hexdigest())
                    files = await self.repository.file_digests(snapshot)
                manifest = {"format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(),
                            "database": self.database.db.name, "consistency": consistency,
                            "collections": {name: asdict(entry) for name, entry in entries.items()},
                            "files": [asdict(file) for file in files]}
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return BackupReport(path=path, collections=entries, files=len(files), consistency=consistency)

    async def restore(self, path: Path, *, force: bool = False) -> BackupReport:
        """Restore the archive into this database. Verified first; a non-empty target is refused unless ``force``
        (which empties it first); a failure after the first write leaves the target empty."""
        if self.database.attached:
            raise Conflict("a server is running on this data directory: stop it before restoring into its database")
        manifest, entries = verify_archive(path)
        counts = await self.repository.counts()
        holding = sorted(name for name, count in counts.items() if count)
        if holding and not force:
            raise RestoreTargetNotEmpty(f"database {self.database.db.name} holds documents in {', '.join(holding)}; "
                                        "restore into an empty database, or pass --force to replace them")
        touched = sorted(set(counts) | set(entries))
        await self.repository.clear(holding)
        try:
            with zipfile.ZipFile(path) as archive:
                for name in sorted(entries):
                    await self._insert(archive, name)
            await self._check_restored(manifest, entries)
        except BaseException:
            log.error("restore of %s failed: emptying the collections it wrote", path)
            await self.repository.clear(touched)
            raise
        return BackupReport(path=path, collections=entries, files=len(manifest["files"]),
                            consistency=str(manifest["consistency"]))

    async def _insert(self, archive: zipfile.ZipFile, name: str) -> None:
        batch: list[bytes] = []
        size = 0
        with archive.open(member(name)) as source:
            for raw in read_documents(source):
                batch.append(raw)
                size += len(raw)
                if len(batch) >= BATCH or size >= BATCH_BYTES:
                    await self.repository.insert_raw(name, batch)
                    batch, size = [], 0
        await self.repository.insert_raw(name, batch)

    async def _check_restored(self, manifest: dict[str, Any], entries: dict[str, CollectionEntry]) -> None:
        counts = await self.repository.counts()
        wrong = [f"{name}: {counts.get(name, 0)} of {entry.documents}" for name, entry in entries.items()
                 if counts.get(name, 0) != entry.documents]
        if wrong:
            raise BackupInvalid(f"the restored collections do not hold the manifest's counts: {'; '.join(wrong)}")
        restored = [asdict(file) for file in await self.repository.file_digests()]
        if restored != manifest["files"]:
            raise BackupInvalid("the restored GridFS files do not match the manifest's lengths and hashes")

    async def _consistency(self) -> str:
        """How the read was made consistent, in the manifest's words (docs/operations.md, "Backups")."""
        how = ("read-only transaction with read concern snapshot" if self.database.profile.secantus
               else "snapshot session (read concern snapshot)")
        if self.database.embedded is not None:
            return f"{how}; the command line ran the embedded database itself, so no server was writing"
        return f"{how}: every collection as of one point in time"


def read_documents(source: Any) -> Any:
    """The raw BSON documents of a ``.bson`` stream, one by one (each starts with its int32 length)."""
    while True:
        head = source.read(4)
        if not head:
            return
        if len(head) < 4:
            raise BackupInvalid("a collection file ends inside a document")
        length = int.from_bytes(head, "little")
        if length < 5:
            raise BackupInvalid("a collection file holds a document of impossible length")
        body = source.read(length - 4)
        if len(body) != length - 4 or body[-1:] != b"\x00":
            raise BackupInvalid("a collection file ends inside a document")
        yield head + body


def verify_archive(path: Path) -> tuple[dict[str, Any], dict[str, CollectionEntry]]:
    """The manifest and its collections, once every collection file matches its count, size and SHA-256."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise BackupInvalid(f"{path} is not an {FORMAT} archive of version {VERSION}")
            entries = {name: CollectionEntry(**entry) for name, entry in manifest["collections"].items()}
            for name, entry in entries.items():
                digest, size, count = hashlib.sha256(), 0, 0
                with archive.open(member(name)) as source:
                    for raw in read_documents(source):
                        digest.update(raw)
                        size, count = size + len(raw), count + 1
                if (count, size, digest.hexdigest()) != (entry.documents, entry.bytes, entry.sha256):
                    raise BackupInvalid(f"{path}: {name} does not match the manifest ({count} documents, "
                                        f"{size} bytes, sha256 {digest.hexdigest()[:12]}…)")
            for file in manifest["files"]:
                FileDigest(**file)  # well-formed; their content is checked in the target after the restore
    except BackupInvalid:
        raise
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        raise BackupInvalid(f"{path}: not a readable backup archive ({exc})") from None
    return manifest, entries
