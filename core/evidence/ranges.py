"""An upload request's byte range (``Content-Range``) and how a request is refused (``UploadRejected``, its codes)."""

from __future__ import annotations

from dataclasses import dataclass

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.evidence import media

OFFSET_MISMATCH = ErrorCode.OFFSET_MISMATCH  # the range does not start at the stored offset (gap or overlap)
INVALID_RANGE = ErrorCode.INVALID_RANGE  # no or a malformed Content-Range
SIZE_MISMATCH = ErrorCode.SIZE_MISMATCH  # the range's total is not the registered size
CHUNK_TOO_LARGE = ErrorCode.CHUNK_TOO_LARGE  # one request carries more than evidence_chunk_max_bytes
TRUNCATED_CHUNK = ErrorCode.TRUNCATED_CHUNK  # the body ended before the range did
CHUNK_OVERRUN = ErrorCode.CHUNK_OVERRUN  # the body goes on past the range
HASH_MISMATCH = ErrorCode.HASH_MISMATCH  # the stored bytes do not have the registered SHA-256
UPLOAD_COMPLETE = ErrorCode.UPLOAD_COMPLETE  # every byte is already stored and verified
UPLOAD_BUSY = ErrorCode.UPLOAD_BUSY  # another request is verifying this upload right now
NOT_COMPLETE = ErrorCode.NOT_COMPLETE  # the content is asked for before the upload completed
EVIDENCE_WITHDRAWN = ErrorCode.EVIDENCE_WITHDRAWN  # withdrawn by a withdraw_evidence op: no more bytes
FILE_TOO_LARGE, MIME_MISMATCH = media.FILE_TOO_LARGE, media.MIME_MISMATCH


class UploadRejected(DomainError):
    """A refused upload request. ``offset`` is the durable offset to resume from, when known."""

    code = ErrorCode.UPLOAD_REJECTED

    def __init__(self, message: str, *, code: ErrorCode, offset: int | None = None) -> None:
        super().__init__(message, code=code)
        self.offset = offset


@dataclass(frozen=True)
class ContentRange:
    """``bytes start-end/total`` with an inclusive end, or ``bytes */total`` (no bytes: finish if all are in)."""

    total: int
    start: int | None = None
    end: int | None = None

    @property
    def length(self) -> int:
        return 0 if self.start is None or self.end is None else self.end - self.start + 1

    @property
    def valid(self) -> bool:
        if self.start is None or self.end is None:
            return self.start is None and self.end is None and self.total > 0
        return 0 <= self.start <= self.end < self.total

    def __str__(self) -> str:
        span = "*" if self.start is None else f"{self.start}-{self.end}"
        return f"bytes {span}/{self.total}"
