"""Storing a streamed range as whole GridFS chunks at the durable offset, and the running SHA-256 of an upload."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from typing import TYPE_CHECKING

from core.evidence import media
from core.evidence.models import Evidence
from core.evidence.ranges import CHUNK_OVERRUN, OFFSET_MISMATCH, UploadRejected
from core.evidence.repository import CHUNK_SIZE, EvidenceRepository

if TYPE_CHECKING:
    from hashlib import _Hash

COMMIT_CHUNKS = 8  # whole chunks per transaction while a body streams in (~2 MiB)


class RunningHashes:
    """SHA-256 states of uploads whose every byte so far arrived at this process, by (evidence, resets, offset).

    They spare reading a whole file back to verify it. Whatever breaks the chain (a restart, a range taken
    by another replica, a reset, two requests at once) is a miss, and the stored chunks are read back.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._states: OrderedDict[str, tuple[int, int, _Hash]] = OrderedDict()
        self._capacity = capacity

    def take(self, evidence_id: str, resets: int, offset: int) -> _Hash | None:
        found = self._states.pop(evidence_id, None)
        if offset == 0:
            return hashlib.sha256()
        return found[2] if found is not None and found[:2] == (resets, offset) else None

    def keep(self, evidence_id: str, resets: int, offset: int, hasher: _Hash | None) -> None:
        if hasher is not None:
            self._states[evidence_id] = (resets, offset, hasher)
            while len(self._states) > self._capacity:
                self._states.popitem(last=False)


class ChunkWriter:
    """Cuts a streamed body into whole GridFS chunks and commits them, a few at a time, at the durable offset.

    One commit is in flight while the next bytes are read, so receiving and storing overlap; at most two
    batches (~4 MiB) are held.
    """

    def __init__(self, repository: EvidenceRepository, evidence: Evidence, tail: bytes, hasher: _Hash | None) -> None:
        self.repository = repository
        self.evidence = evidence
        self.hasher = hasher  # SHA-256 of the file so far (of every byte up to `position`), if known
        self.buffer = bytearray(tail)  # starts at chunk `first_n`; its first len(tail) bytes are stored
        self.stored_tail = len(tail)
        self.first_n = evidence.received // CHUNK_SIZE
        self.durable = evidence.received
        self.position = evidence.received  # file offset just past the buffer
        head = min(media.SNIFF_BYTES, evidence.size)
        self.sniff_at: int | None = head if evidence.received < head else None
        self._pending: asyncio.Task[None] | None = None

    def add(self, piece: bytes, end: int) -> None:
        if self.position + len(piece) > end:
            raise UploadRejected(f"evidence {self.evidence.id}: the body goes on past the range's end {end - 1}",
                                 code=CHUNK_OVERRUN)
        self.buffer += piece
        self.position += len(piece)
        if self.hasher is not None:
            self.hasher.update(piece)
        if self.sniff_at is not None and self.position >= self.sniff_at:
            problem = media.check_sniffed(self.evidence.mime_type, bytes(self.buffer[:self.sniff_at]))
            if problem is not None:
                raise UploadRejected(f"evidence {self.evidence.id}: {problem.message}", code=problem.code)
            self.sniff_at = None

    async def flush(self, *, final: bool) -> None:
        """Commit full batches of chunks; ``final`` also commits the rest (the tail, or the file's last chunk)."""
        batch = COMMIT_CHUNKS * CHUNK_SIZE
        while len(self.buffer) >= batch and self.sniff_at is None:
            await self.settle()
            self._start(batch, b"" if self.stored_tail else None)
        if final:
            await self.settle()
            whole = len(self.buffer) if self.position == self.evidence.size else \
                len(self.buffer) - len(self.buffer) % CHUNK_SIZE
            tail = bytes(self.buffer[whole:])
            self._start(whole, tail if tail or self.stored_tail else None)
            await self.settle()

    async def settle(self, *, quietly: bool = False) -> None:
        """Wait for the commit in flight; ``quietly`` keeps its refusal from replacing the error at hand."""
        task, self._pending = self._pending, None
        if task is not None:
            try:
                await task
            except UploadRejected:
                if not quietly:
                    raise

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()

    def _start(self, size: int, tail: bytes | None) -> None:
        """Commit ``size`` bytes of the buffer as chunks and ``tail`` (None: the stored tail stays empty)."""
        view = memoryview(self.buffer)
        pieces = [bytes(view[start:min(start + CHUNK_SIZE, size)]) for start in range(0, size, CHUNK_SIZE)]
        view.release()
        del self.buffer[:size]
        received = self.first_n * CHUNK_SIZE + size + len(tail or b"")
        first_n, self.first_n = self.first_n, self.first_n + len(pieces)
        self.stored_tail = len(tail or b"")
        self._pending = asyncio.create_task(self._commit(first_n, pieces, tail, received))

    async def _commit(self, first_n: int, pieces: list[bytes], tail: bytes | None, received: int) -> None:
        stored = await self.repository.commit(self.evidence.id, expected=self.durable, received=received,
                                              first_n=first_n, pieces=pieces, tail=tail)
        if not stored:
            current = await self.repository.get(self.evidence.id)
            raise UploadRejected(f"evidence {self.evidence.id}: another request stored bytes at offset "
                                 f"{self.durable} meanwhile; resume from the offset given",
                                 code=OFFSET_MISMATCH, offset=current.received if current else None)
        self.durable = received
