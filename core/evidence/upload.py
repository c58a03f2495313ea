"""Resumable evidence uploads: ranges stored at the durable offset, then verified and kept once by content."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from core.accounts.models import Viewer
from core.config import Settings
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import NotFound
from core.evidence import exif, media
from core.evidence.chunks import ChunkWriter, RunningHashes
from core.evidence.models import Evidence, UploadStatus
from core.evidence.ranges import (
    CHUNK_OVERRUN,
    CHUNK_TOO_LARGE,
    EVIDENCE_WITHDRAWN,
    FILE_TOO_LARGE,
    HASH_MISMATCH,
    INVALID_RANGE,
    MIME_MISMATCH,
    NOT_COMPLETE,
    OFFSET_MISMATCH,
    SIZE_MISMATCH,
    TRUNCATED_CHUNK,
    UPLOAD_BUSY,
    UPLOAD_COMPLETE,
    ContentRange,
    UploadRejected,
)
from core.evidence.repository import CHUNK_SIZE, EvidenceRepository, UploadState, upload_files_id
from core.inspections.access import assigned_task, readable_task

log = logging.getLogger(__name__)

CompletionHook = Callable[[Evidence], Awaitable[None]]
"""Called once per evidence, after it became complete (the evidence as stored). Failures are logged."""

FINALIZE_LEASE_S = 60.0  # plus one second per 5 MB: how long one request may hold the verification


def limits_from(settings: Settings) -> media.EvidenceLimits:
    """The configured limit of every kind: ``ECOINSPECT_EVIDENCE_MAX_<KIND>_MB``, one setting per kind."""
    return media.EvidenceLimits(**{kind.value: int(getattr(settings, f"evidence_max_{kind.value}_mb")) * media.MiB
                                   for kind in media.EvidenceKind})


class EvidenceUploadService:
    """Uploads of registered evidence files.

    A device sends the bytes in ranges (``bytes start-end/total``), each starting at the offset the server
    holds. While a range streams in, whole GridFS chunks are committed a few at a time, each commit moving
    the offset in the same transaction, so after any crash the offset never runs ahead of the stored bytes
    and a device resumes from what HEAD reports. With the last byte the SHA-256 is known (hashed as the
    bytes arrived when this process received them all, else by reading the stored chunks back): a mismatch
    discards every stored byte and the upload starts again at offset 0 (HASH_MISMATCH); a match makes the
    chunks the GridFS file named by the hash (kept once however often uploaded), records the sniffed MIME
    type and, for photos, the EXIF time and place, marks the evidence complete and calls ``on_complete``.
    Only the task's inspectors write; they and supervisors over the task read; anyone else is told the
    evidence does not exist.
    """

    def __init__(self, database: Database, settings: Settings, *, on_complete: CompletionHook | None = None) -> None:
        self.database = database
        self.repository = EvidenceRepository(database)
        self.limits = limits_from(settings)
        self.chunk_max = settings.evidence_chunk_max_bytes
        self.on_complete = on_complete
        self._hashes = RunningHashes()

    async def status(self, viewer: Viewer, evidence_id: str) -> Evidence:
        """The evidence and its upload offset, for the task's inspectors and supervisors over it."""
        evidence = await self._find(evidence_id)
        with _hidden(evidence_id):
            await readable_task(self.database, viewer, evidence.task_id)
        return evidence

    async def content(self, viewer: Viewer, evidence_id: str) -> tuple[Evidence, AsyncIterator[bytes]]:
        """A completed file's bytes, streamed one GridFS chunk at a time."""
        evidence = await self.status(viewer, evidence_id)
        if evidence.status is not UploadStatus.COMPLETE or evidence.file_id is None:
            raise UploadRejected(f"evidence {evidence_id} is not completely uploaded yet", code=NOT_COMPLETE,
                                 offset=evidence.received)
        return evidence, self._stream(evidence.file_id)

    async def receive(self, viewer: Viewer, evidence_id: str, *, content_range: ContentRange,
                      body: AsyncIterator[bytes], declared_length: int | None = None) -> Evidence:
        """Store one range of the file from ``body`` (read as it arrives); finish the upload with its last byte."""
        evidence = await self._find(evidence_id)
        with _hidden(evidence_id):
            await assigned_task(self.database, viewer, evidence.task_id)
        self._check(evidence, content_range, declared_length)
        if content_range.start is not None:
            if content_range.start != evidence.received:
                raise UploadRejected(f"evidence {evidence_id}: the range starts at {content_range.start} but "
                                     f"{evidence.received} bytes are stored; resume from there",
                                     code=OFFSET_MISMATCH, offset=evidence.received)
            received = await self._write(evidence, content_range, body)
            evidence = evidence.model_copy(update={"received": received})
        return await self._finish(evidence) if evidence.received == evidence.size else evidence

    def _check(self, evidence: Evidence, content_range: ContentRange, declared_length: int | None) -> None:
        def refuse(message: str, code: ErrorCode) -> UploadRejected:
            return UploadRejected(f"evidence {evidence.id}: {message}", code=code, offset=evidence.received)

        if evidence.status is UploadStatus.COMPLETE:
            raise refuse("every byte is already stored and verified", UPLOAD_COMPLETE)
        if evidence.status is UploadStatus.WITHDRAWN:
            raise refuse("it was withdrawn; register a replacement", EVIDENCE_WITHDRAWN)
        if content_range.total != evidence.size:
            raise refuse(f"the range's total {content_range.total} is not the registered size {evidence.size}",
                         SIZE_MISMATCH)
        problems = media.check_declared(evidence.kind, evidence.mime_type, evidence.size, self.limits)
        if any(p.code == FILE_TOO_LARGE for p in problems):
            raise refuse(next(p.message for p in problems if p.code == FILE_TOO_LARGE), FILE_TOO_LARGE)
        if not content_range.valid:
            raise refuse(f"{content_range} is not a range of the file", INVALID_RANGE)
        if content_range.length > self.chunk_max:
            raise refuse(f"{content_range.length} bytes in one request; at most {self.chunk_max}", CHUNK_TOO_LARGE)
        if declared_length is not None and declared_length < content_range.length:
            raise refuse(f"Content-Length {declared_length} is shorter than the range", TRUNCATED_CHUNK)
        if declared_length is not None and declared_length > content_range.length:
            raise refuse(f"Content-Length {declared_length} is longer than the range", CHUNK_OVERRUN)

    async def _write(self, evidence: Evidence, content_range: ContentRange, body: AsyncIterator[bytes]) -> int:
        state = await self.repository.upload_state(evidence.id)
        if len(state.tail) != evidence.received % CHUNK_SIZE:
            raise RuntimeError(f"evidence {evidence.id}: {len(state.tail)} tail bytes stored at offset "
                               f"{evidence.received}")
        writer = ChunkWriter(self.repository, evidence, state.tail,
                              self._hashes.take(evidence.id, state.resets, evidence.received))
        end = content_range.length + evidence.received
        try:
            async for piece in body:
                writer.add(piece, end)
                await writer.flush(final=False)
            if writer.position < end:
                raise UploadRejected(f"evidence {evidence.id}: the body ended {end - writer.position} bytes "
                                     "before the range did", code=TRUNCATED_CHUNK)
            await writer.flush(final=True)
        except UploadRejected as exc:
            await writer.settle(quietly=True)
            if exc.offset is None:
                exc.offset = writer.durable
            if exc.code == MIME_MISMATCH and writer.durable > 0:  # a tiny earlier range slipped past the check
                await self.repository.reset(evidence.id)
                exc.offset = 0
            raise
        finally:
            writer.cancel()
        self._hashes.keep(evidence.id, state.resets, writer.durable, writer.hasher)
        return writer.durable

    async def _finish(self, evidence: Evidence) -> Evidence:
        """Verify and store a fully received upload; one request at a time holds the lease to do it."""
        lease = timedelta(seconds=FINALIZE_LEASE_S + evidence.size / 5_000_000)
        state = await self.repository.claim_finalize(evidence.id, ttl=lease)
        if state is None:
            current = await self._find(evidence.id)
            if current.status is UploadStatus.COMPLETE:
                return current
            raise UploadRejected(f"evidence {evidence.id} is being verified by another request; retry shortly",
                                 code=UPLOAD_BUSY, offset=current.received)
        try:
            done = await self._verify_and_store(evidence, state)
        finally:
            await self.repository.release_finalize(evidence.id)
        if done is None:  # completed by another request meanwhile
            return await self._find(evidence.id)
        log.info("evidence complete", extra={"evidence_id": done.id, "bytes": done.size, "file_id": done.file_id})
        if self.on_complete is not None:
            try:
                await self.on_complete(done)
            except Exception:
                log.exception("evidence completion hook failed", extra={"evidence_id": done.id})
        return done

    async def _verify_and_store(self, evidence: Evidence, state: UploadState) -> Evidence | None:
        sha, metadata = state.verified, state.metadata
        if sha is None:  # not verified yet (a resumed finish skips this: the chunks may be moving already)
            running = self._hashes.take(evidence.id, state.resets, evidence.size)
            if running is None:
                digest, head = await self._digest(evidence)
            else:
                digest, head = running.hexdigest(), await self._head(evidence)
            if digest != evidence.sha256:
                await self.repository.reset(evidence.id)
                log.warning("evidence hash mismatch", extra={"evidence_id": evidence.id, "found": digest})
                found = f"SHA-256 {digest}" if digest else "missing or misshapen chunks"
                raise UploadRejected(f"evidence {evidence.id}: the stored bytes have {found}, not the registered "
                                     f"{evidence.sha256}; they were discarded, upload again from offset 0",
                                     code=HASH_MISMATCH, offset=0)
            sha, metadata = digest, {**evidence.metadata, **_metadata(evidence, head)}
            await self.repository.mark_verified(evidence.id, sha, metadata)
        await self.repository.store_content(evidence.id, sha, length=evidence.size,
                                            filename=evidence.file_name or evidence.id,
                                            content_type=evidence.mime_type)
        return await self.repository.complete(evidence.id, file_id=sha, metadata=metadata,
                                              completed_at=datetime.now(UTC))

    async def _digest(self, evidence: Evidence) -> tuple[str | None, bytes]:
        """SHA-256 of the stored chunks read back in order, and the file's first bytes (for EXIF).

        None when a chunk is missing or has the wrong length: the stored bytes are then not the file either.
        """
        hasher, head, total, expected_n = hashlib.sha256(), bytearray(), 0, 0
        chunks = self.repository.read_chunks(upload_files_id(evidence.id))
        async with contextlib.aclosing(chunks):
            async for n, data in chunks:
                total += len(data)
                if n != expected_n or (len(data) != CHUNK_SIZE and total != evidence.size):
                    return None, b""
                hasher.update(data)
                expected_n += 1
                if len(head) < exif.EXIF_SCAN_LIMIT:
                    head += data[:exif.EXIF_SCAN_LIMIT - len(head)]
        return (hasher.hexdigest() if total == evidence.size else None), bytes(head)

    async def _head(self, evidence: Evidence) -> bytes:
        """The file's first bytes, as many as reading EXIF needs."""
        head = bytearray()
        async for _, data in self.repository.read_chunks(upload_files_id(evidence.id),
                                                         below=-(-exif.EXIF_SCAN_LIMIT // CHUNK_SIZE)):
            head += data
        return bytes(head[:exif.EXIF_SCAN_LIMIT])

    async def _stream(self, file_id: str) -> AsyncIterator[bytes]:
        async for _, data in self.repository.read_chunks(file_id):
            yield data

    async def _find(self, evidence_id: str) -> Evidence:
        evidence = await self.repository.get(evidence_id)
        if evidence is None:
            raise NotFound(f"evidence {evidence_id} not found", field="evidenceId")
        return evidence


@contextlib.contextmanager
def _hidden(evidence_id: str) -> Iterator[None]:
    """A viewer without access learns what a wrong id would tell: nothing (not even the task's id)."""
    try:
        yield
    except NotFound:
        raise NotFound(f"evidence {evidence_id} not found", field="evidenceId") from None


def _metadata(evidence: Evidence, head: bytes) -> dict[str, Any]:
    metadata: dict[str, Any] = {"sniffed_mime": media.sniff_mime(head)}
    if evidence.kind == media.EvidenceKind.PHOTO.value:
        photo = exif.read_exif(io.BytesIO(head))
        if photo is not None:
            metadata["exif"] = {key: list(value) if isinstance(value, tuple) else value
                                for key, value in dataclasses.asdict(photo).items()}
    return metadata
