"""tus 1.0 over registered evidence: create an upload resource, append with an optional checksum, terminate.

The protocol's resources sit on the evidence's own resumable storage (``EvidenceUploadService``): a PATCH is
one range handed to ``receive``, so bytes are committed at the durable offset and the last byte runs the same
completion (the registered SHA-256 checked, content kept once, the completion hook feeding the task's chain)
as the ranged PUT. Nothing can be uploaded that the sync protocol did not register first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

from core.accounts.models import Viewer
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import NotFound
from core.evidence import media
from core.evidence.models import Evidence, UploadStatus
from core.evidence.ranges import (
    CHUNK_OVERRUN,
    CHUNK_TOO_LARGE,
    FILE_TOO_LARGE,
    OFFSET_MISMATCH,
    SIZE_MISMATCH,
    UPLOAD_COMPLETE,
    ContentRange,
    UploadRejected,
)
from core.evidence.tus.models import Checksum, TusUpload
from core.evidence.tus.repository import TusUploadRepository
from core.evidence.upload import EvidenceUploadService
from core.inspections.access import assigned_task

CHECKSUM_MISMATCH = ErrorCode.CHECKSUM_MISMATCH
UPLOAD_EXPIRED = ErrorCode.UPLOAD_EXPIRED


class TusUploadService:
    """Upload resources for registered evidence, for the task's inspectors (anyone else: not found)."""

    def __init__(self, database: Database, uploads: EvidenceUploadService, *, expiry: timedelta) -> None:
        self.database = database
        self.uploads = uploads
        self.repository = TusUploadRepository(database)
        self.expiry = expiry

    @property
    def max_size(self) -> int:
        """The largest file any evidence kind accepts (``Tus-Max-Size``)."""
        return max(self.uploads.limits.max_bytes(kind) for kind in media.EvidenceKind)

    async def create(self, viewer: Viewer, *, evidence_id: str, length: int) -> tuple[TusUpload, Evidence]:
        """A new upload resource for a registered, unfinished evidence file of ``length`` bytes."""
        evidence = await self._writable(viewer, evidence_id)

        def refuse(message: str, code: ErrorCode) -> UploadRejected:
            return UploadRejected(f"evidence {evidence_id}: {message}", code=code, offset=evidence.received)

        if evidence.status is UploadStatus.COMPLETE:
            raise refuse("every byte is already stored and verified", UPLOAD_COMPLETE)
        if length != evidence.size:
            raise refuse(f"Upload-Length {length} is not the registered size {evidence.size}", SIZE_MISMATCH)
        if evidence.size > self.uploads.limits.max_bytes(media.EvidenceKind(evidence.kind)):
            raise refuse(f"{evidence.size} bytes is over the {evidence.kind} limit", FILE_TOO_LARGE)
        now = datetime.now(UTC)
        upload = TusUpload(id=secrets.token_hex(16), evidence_id=evidence.id, created_by=viewer.username or "",
                           created_at=now, expires_at=now + self.expiry)
        await self.repository.insert(upload)
        return upload, evidence

    async def status(self, viewer: Viewer, upload_id: str) -> tuple[TusUpload, Evidence]:
        """The resource and its evidence (offset, length); an unfinished one past its expiry is gone."""
        upload = await self._get(upload_id)
        with _hidden(upload_id):
            evidence = await self.uploads.status(viewer, upload.evidence_id)
        _refuse_expired(upload, evidence)
        return upload, evidence

    async def append(self, viewer: Viewer, upload_id: str, *, offset: int, body: AsyncIterator[bytes],
                     length: int | None, checksum: Checksum | None) -> tuple[TusUpload, Evidence]:
        """Store a PATCH body at ``offset`` (the stored offset); the last byte completes the evidence.

        A body with a checksum (or without a length) is read whole first, at most one request's limit, so
        that a mismatch stores none of it (CHECKSUM_MISMATCH, answered 460). Any other body streams through
        in ranges of at most that limit (tus clients send the rest of a file in one PATCH unless told
        otherwise); a failure keeps the ranges stored before it, and the client resumes from HEAD.
        """
        upload, evidence = await self.status(viewer, upload_id)
        if offset != evidence.received and evidence.status is UploadStatus.PENDING:
            raise UploadRejected(f"evidence {evidence.id}: Upload-Offset {offset} but {evidence.received} bytes "
                                 "are stored; resume from there", code=OFFSET_MISMATCH, offset=evidence.received)
        if length is not None and length > evidence.size - offset and evidence.status is UploadStatus.PENDING:
            raise UploadRejected(f"evidence {evidence.id}: {length} bytes at {offset} go past its "
                                 f"{evidence.size} bytes", code=CHUNK_OVERRUN, offset=evidence.received)
        if checksum is not None or length is None:
            data = await self._read_whole(evidence, body, limit=min(self.uploads.chunk_max,
                                                                   max(evidence.size - offset, 0)))
            if checksum is not None and hashlib.new(checksum.algorithm.value, data).digest() != checksum.digest:
                raise UploadRejected(f"evidence {evidence.id}: the body does not have its Upload-Checksum "
                                     f"({checksum.algorithm.value}); nothing of it was stored",
                                     code=CHECKSUM_MISMATCH, offset=evidence.received)
            length, body = len(data), _once(data)
        if not length and evidence.received == evidence.size:  # no bytes: finish an upload whose bytes are all in
            evidence = await self.uploads.receive(viewer, evidence.id, body=body,
                                                  content_range=ContentRange(total=evidence.size))
        slices = _Slices(body)
        for start in range(offset, offset + length, self.uploads.chunk_max):
            size = min(self.uploads.chunk_max, offset + length - start)
            evidence = await self.uploads.receive(viewer, evidence.id, body=slices.take(size), declared_length=size,
                                                  content_range=ContentRange(total=evidence.size, start=start,
                                                                             end=start + size - 1))
        if evidence.status is UploadStatus.PENDING:
            upload = dataclasses.replace(upload, expires_at=datetime.now(UTC) + self.expiry)
            await self.repository.extend(upload.id, upload.expires_at)
        return upload, evidence

    async def terminate(self, viewer: Viewer, upload_id: str) -> None:
        """Discard the stored bytes of an unfinished upload; the evidence stays registered and pending.

        Every resource of the evidence goes with them (they shared the bytes). A completed file is part of
        the inspection's record: terminating it is refused (UPLOAD_COMPLETE).
        """
        upload = await self._get(upload_id)
        evidence = await self._writable(viewer, upload.evidence_id, upload_id=upload_id)
        _refuse_expired(upload, evidence)
        if evidence.status is UploadStatus.COMPLETE:
            raise UploadRejected(f"evidence {evidence.id} is complete and part of the inspection record; "
                                 "its upload cannot be terminated", code=UPLOAD_COMPLETE, offset=evidence.size)
        await self.repository.delete_for_evidence(evidence.id)
        await self.uploads.repository.reset(evidence.id)

    async def _get(self, upload_id: str) -> TusUpload:
        upload = await self.repository.get(upload_id)
        if upload is None:
            raise NotFound(f"upload {upload_id} not found", field="uploadId")
        return upload

    async def _writable(self, viewer: Viewer, evidence_id: str, *, upload_id: str | None = None) -> Evidence:
        evidence = await self.uploads.repository.get(evidence_id)
        with _hidden(upload_id or evidence_id, "upload" if upload_id else "evidence"):
            if evidence is None:
                raise NotFound(f"evidence {evidence_id} not found")
            await assigned_task(self.database, viewer, evidence.task_id)
        assert evidence is not None
        return evidence

    async def _read_whole(self, evidence: Evidence, body: AsyncIterator[bytes], *, limit: int) -> bytes:
        data = bytearray()
        async for piece in body:
            data += piece
            if len(data) > limit:
                code = CHUNK_TOO_LARGE if limit == self.uploads.chunk_max else CHUNK_OVERRUN
                raise UploadRejected(f"evidence {evidence.id}: the body is longer than {limit} bytes "
                                     "(one request's limit, or what the file has left)", code=code,
                                     offset=evidence.received)
        return bytes(data)


def _refuse_expired(upload: TusUpload, evidence: Evidence) -> None:
    """An unfinished upload past its expiry is gone (checked after access, so strangers learn nothing)."""
    if evidence.status is UploadStatus.PENDING and upload.expires_at <= datetime.now(UTC):
        raise UploadRejected(f"upload {upload.id} expired at {upload.expires_at.isoformat()}; create a new one "
                             "for the evidence (its stored bytes are kept)", code=UPLOAD_EXPIRED)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _Slices:
    """One request body handed on as consecutive ranges: ``take(n)`` yields its next ``n`` bytes (fewer at its end)."""

    def __init__(self, body: AsyncIterator[bytes]) -> None:
        self._body = body
        self._left = b""

    async def take(self, count: int) -> AsyncIterator[bytes]:
        while count > 0:
            if not self._left:
                self._left = await anext(self._body, b"")
                if not self._left:
                    return
            piece, self._left = self._left[:count], self._left[count:]
            count -= len(piece)
            yield piece


@contextlib.contextmanager
def _hidden(name: str, what: str = "upload") -> Iterator[None]:
    """A viewer without access learns what a wrong id would tell: nothing."""
    try:
        yield
    except NotFound:
        field = "uploadId" if what == "upload" else "evidenceId"
        raise NotFound(f"{what} {name} not found", field=field) from None
