"""Evidence files over plain HTTP: resumable ranged PUT, HEAD/GET of the upload offset, GET of the content."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api.http.auth import bearer_viewer
from core.accounts.models import Viewer
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.evidence import ranges
from core.evidence.models import Evidence
from core.evidence.ranges import ContentRange, UploadRejected
from core.evidence.upload import EvidenceUploadService

log = logging.getLogger(__name__)

_STATUS = {
    ErrorCode.NOT_FOUND: 404, ErrorCode.UNAUTHENTICATED: 401, ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ranges.OFFSET_MISMATCH: 409, ranges.UPLOAD_COMPLETE: 409, ranges.UPLOAD_BUSY: 409, ranges.NOT_COMPLETE: 409,
    ranges.EVIDENCE_WITHDRAWN: 410,
    ranges.INVALID_RANGE: 416, ranges.SIZE_MISMATCH: 416, ranges.CHUNK_TOO_LARGE: 413, ranges.FILE_TOO_LARGE: 413,
    ranges.TRUNCATED_CHUNK: 400, ranges.CHUNK_OVERRUN: 400, ranges.MIME_MISMATCH: 415, ranges.HASH_MISMATCH: 422,
}
_RANGE = re.compile(r"bytes (?:(\d{1,15})-(\d{1,15})|\*)/(\d{1,15})")
_NO_STORE = {"Cache-Control": "no-store"}


def service(request: Request) -> EvidenceUploadService:
    """The app's upload service, assembled once with its completion hook (``api/assembly.py``)."""
    uploads: EvidenceUploadService = request.app.state.services.evidence_uploads
    return uploads


async def _viewer(request: Request) -> Viewer:
    return await bearer_viewer(request)


def _content_range(header: str | None) -> ContentRange:
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None:
        raise UploadRejected("Content-Range must be 'bytes <start>-<end>/<size>' or 'bytes */<size>'",
                             code=ranges.INVALID_RANGE)
    start, end, total = match.groups()
    return ContentRange(total=int(total), start=None if start is None else int(start),
                        end=None if end is None else int(end))


def _content_length(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _offset_headers(evidence: Evidence) -> dict[str, str]:
    headers = {"Upload-Offset": str(evidence.received), "Upload-Length": str(evidence.size),
               "Upload-Status": evidence.status.value, **_NO_STORE}
    if evidence.received:
        headers["Range"] = f"bytes=0-{evidence.received - 1}"
    return headers


def _summary(evidence: Evidence) -> dict[str, Any]:
    data = evidence.model_dump(mode="json", include={"id", "task_id", "kind", "mime_type", "size", "sha256", "status",
                                                     "file_id", "metadata", "completed_at"})
    return {**data, "offset": evidence.received}


def _error(exc: DomainError) -> JSONResponse:
    status = _STATUS.get(exc.code, 400)
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    headers = dict(_NO_STORE)
    offset = exc.offset if isinstance(exc, UploadRejected) else None
    if offset is not None:
        body["offset"] = offset
        headers["Upload-Offset"] = str(offset)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.code == ranges.UPLOAD_BUSY:
        headers["Retry-After"] = "2"
    return JSONResponse(body, status_code=status, headers=headers)


class _Body:
    """A PUT body as it arrives. A client that hangs up just ends it (the service then finds it short)."""

    def __init__(self, request: Request) -> None:
        self._stream = request.stream()

    async def pieces(self) -> AsyncIterator[bytes]:
        with contextlib.suppress(ClientDisconnect):
            async for piece in self._stream:
                yield piece

    async def drain(self, limit: int) -> None:
        """Read what is left (up to ``limit`` bytes) so that the client, still sending, gets the refusal."""
        read = 0
        with contextlib.suppress(ClientDisconnect, RuntimeError):
            async for piece in self._stream:
                read += len(piece)
                if read > limit:
                    return


async def put_evidence(request: Request) -> Response:
    evidence_id = request.path_params["evidence_id"]
    uploads = service(request)
    body = _Body(request)
    try:
        evidence = await uploads.receive(await _viewer(request), evidence_id,
                                         content_range=_content_range(request.headers.get("content-range")),
                                         body=body.pieces(), declared_length=_content_length(request))
    except DomainError as exc:
        await body.drain(uploads.chunk_max)
        return _error(exc)
    return JSONResponse(_summary(evidence), headers=_offset_headers(evidence))


async def evidence_status(request: Request) -> Response:
    try:
        evidence = await service(request).status(await _viewer(request), request.path_params["evidence_id"])
    except DomainError as exc:
        return _error(exc)
    if request.method == "HEAD":
        return Response(status_code=200, headers=_offset_headers(evidence))
    return JSONResponse(_summary(evidence), headers=_offset_headers(evidence))


async def evidence_content(request: Request) -> Response:
    try:
        evidence, chunks = await service(request).content(await _viewer(request), request.path_params["evidence_id"])
    except DomainError as exc:
        return _error(exc)
    name = evidence.file_name or evidence.id
    headers = {"Content-Length": str(evidence.size), "ETag": f'"{evidence.sha256}"',
               "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    return StreamingResponse(chunks, media_type=evidence.mime_type, headers=headers)


# PUT  /evidence/{id}          Content-Range: bytes <start>-<end>/<size>, the bytes (<start> = the stored offset)
# PUT  /evidence/{id}          Content-Range: bytes */<size>, no body: finish an upload whose bytes are all in
# HEAD /evidence/{id}          Upload-Offset, Upload-Length, Upload-Status, Range: bytes=0-<offset - 1>
# GET  /evidence/{id}          the same as JSON
# GET  /evidence/{id}/content  the completed file
# Errors: JSON {"code", "message"}, plus "offset" and an Upload-Offset header when the offset is known. A PUT
# body is read as it arrives, never held whole; the body-size middleware leaves /evidence/ to this module,
# which refuses a range over evidence_chunk_max_bytes before reading it and stops reading past the range.
EVIDENCE_ROUTES: list[Route] = [
    Route("/evidence/{evidence_id}", put_evidence, methods=["PUT"]),
    Route("/evidence/{evidence_id}", evidence_status, methods=["GET", "HEAD"]),
    Route("/evidence/{evidence_id}/content", evidence_content, methods=["GET"]),
]
