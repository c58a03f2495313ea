"""Evidence uploads over tus 1.0 (core, creation, checksum, termination, expiration) at /evidence/tus/."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http.auth import bearer_viewer
from api.http.evidence import _Body
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.evidence import ranges
from core.evidence.models import Evidence, UploadStatus
from core.evidence.ranges import UploadRejected
from core.evidence.tus.models import EXTENSIONS, TUS_VERSION, Checksum, ChecksumAlgorithm, TusUpload
from core.evidence.tus.service import TusUploadService

PATH = "/evidence/tus/"
OCTETS = "application/offset+octet-stream"
_DIGITS = re.compile(r"\d{1,15}")
_TUS = {"Tus-Resumable": TUS_VERSION}
_STATUS = {
    ErrorCode.NOT_FOUND: 404, ErrorCode.UNAUTHENTICATED: 401, ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401, ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415, ErrorCode.MALFORMED_TUS_REQUEST: 400,
    ErrorCode.TUS_VERSION_UNSUPPORTED: 412, ErrorCode.CHECKSUM_UNSUPPORTED: 400, ErrorCode.CHECKSUM_MISMATCH: 460,
    ErrorCode.UPLOAD_EXPIRED: 410,
    ranges.OFFSET_MISMATCH: 409, ranges.UPLOAD_COMPLETE: 409, ranges.UPLOAD_BUSY: 409,
    ranges.INVALID_RANGE: 400, ranges.SIZE_MISMATCH: 400, ranges.CHUNK_TOO_LARGE: 413, ranges.FILE_TOO_LARGE: 413,
    ranges.TRUNCATED_CHUNK: 400, ranges.CHUNK_OVERRUN: 413, ranges.MIME_MISMATCH: 415, ranges.HASH_MISMATCH: 422,
}


class TusRefused(DomainError):
    """A request that does not speak the protocol (headers missing or malformed)."""

    code = ErrorCode.MALFORMED_TUS_REQUEST


def service(request: Request) -> TusUploadService:
    tus: TusUploadService = request.app.state.services.tus_uploads
    return tus


def _error(exc: DomainError) -> JSONResponse:
    status = _STATUS.get(exc.code, 400)
    headers = {**_TUS, "Cache-Control": "no-store"}
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    offset = exc.offset if isinstance(exc, UploadRejected) else None
    if offset is not None:
        body["offset"] = offset
        headers["Upload-Offset"] = str(offset)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.code == ranges.UPLOAD_BUSY:
        headers["Retry-After"] = "2"
    if status == 412:
        headers["Tus-Version"] = TUS_VERSION
    return JSONResponse(body, status_code=status, headers=headers)


def _resumable(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise TusRefused(f"send Tus-Resumable: {TUS_VERSION}", code=ErrorCode.TUS_VERSION_UNSUPPORTED)


def _number(request: Request, name: str) -> int:
    value = request.headers.get(name, "").strip()
    if not _DIGITS.fullmatch(value):
        raise TusRefused(f"{name} must be a number of bytes, got {value!r}")
    return int(value)


def _metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (a key may come without a value)."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise TusRefused(f"Upload-Metadata value of {key!r} is not base64 of UTF-8 text") from None
    return pairs


def _checksum(header: str | None) -> Checksum | None:
    if header is None:
        return None
    name, _, encoded = header.strip().partition(" ")
    try:
        return Checksum(ChecksumAlgorithm(name.lower()), base64.b64decode(encoded.strip(), validate=True))
    except (ValueError, binascii.Error):
        supported = ",".join(algorithm.value for algorithm in ChecksumAlgorithm)
        raise TusRefused(f"Upload-Checksum must be '<{supported}> <base64 digest>'",
                         code=ErrorCode.CHECKSUM_UNSUPPORTED) from None


def _upload_headers(upload: TusUpload, evidence: Evidence) -> dict[str, str]:
    headers = {**_TUS, "Upload-Offset": str(evidence.received), "Upload-Length": str(evidence.size),
               "Cache-Control": "no-store",
               "Upload-Metadata": f"evidenceId {base64.b64encode(evidence.id.encode()).decode()}"}
    if evidence.status is UploadStatus.PENDING:
        headers["Upload-Expires"] = format_datetime(upload.expires_at.astimezone(UTC), usegmt=True)
    return headers


async def discover(request: Request) -> Response:
    """OPTIONS: what this server speaks (no authentication, as the protocol's discovery needs)."""
    tus = service(request)
    return Response(status_code=204, headers={
        **_TUS, "Tus-Version": TUS_VERSION, "Tus-Extension": ",".join(EXTENSIONS),
        "Tus-Max-Size": str(tus.max_size), "Tus-Checksum-Algorithm": ",".join(a.value for a in ChecksumAlgorithm)})


async def create(request: Request) -> Response:
    try:
        _resumable(request)
        viewer = await bearer_viewer(request)
        if "upload-defer-length" in request.headers:
            raise TusRefused("a deferred length is not supported: send Upload-Length, the registered size")
        length = _number(request, "upload-length")
        evidence_id = _metadata(request.headers.get("upload-metadata", "")).get("evidenceId", "")
        if not evidence_id:
            raise TusRefused("Upload-Metadata must carry evidenceId (base64), the id register_evidence used")
        upload, evidence = await service(request).create(viewer, evidence_id=evidence_id, length=length)
    except DomainError as exc:
        return _error(exc)
    return Response(status_code=201, headers={**_upload_headers(upload, evidence), "Location": f"{PATH}{upload.id}"})


async def offset(request: Request) -> Response:
    try:
        _resumable(request)
        upload, evidence = await service(request).status(await bearer_viewer(request), request.path_params["id"])
    except DomainError as exc:
        return _error(exc)
    return Response(status_code=200, headers=_upload_headers(upload, evidence))


async def append(request: Request) -> Response:
    tus, body = service(request), _Body(request)
    try:
        _resumable(request)
        viewer = await bearer_viewer(request)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != OCTETS:
            raise TusRefused(f"a PATCH body is {OCTETS}", code=ErrorCode.UNSUPPORTED_MEDIA_TYPE)
        start = _number(request, "upload-offset")
        length = _number(request, "content-length") if "content-length" in request.headers else None
        upload, evidence = await tus.append(viewer, request.path_params["id"], offset=start, body=body.pieces(),
                                            length=length, checksum=_checksum(request.headers.get("upload-checksum")))
    except DomainError as exc:
        await body.drain(tus.uploads.chunk_max)
        return _error(exc)
    return Response(status_code=204, headers=_upload_headers(upload, evidence))


async def terminate(request: Request) -> Response:
    try:
        _resumable(request)
        await service(request).terminate(await bearer_viewer(request), request.path_params["id"])
    except DomainError as exc:
        return _error(exc)
    return Response(status_code=204, headers=_TUS)


# OPTIONS /evidence/tus/        discovery: Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm
# POST    /evidence/tus/        creation: Upload-Length (the registered size), Upload-Metadata evidenceId <base64>
# HEAD    /evidence/tus/{id}    Upload-Offset, Upload-Length, Upload-Expires (while unfinished)
# PATCH   /evidence/tus/{id}    application/offset+octet-stream at Upload-Offset, optional Upload-Checksum
# DELETE  /evidence/tus/{id}    termination: the stored bytes are discarded, the registration stays
# Every request but OPTIONS carries Tus-Resumable: 1.0.0 and the bearer token. Like the ranged PUT, a PATCH body
# streams (the body-size middleware leaves /evidence/ alone), except one with a checksum or without a length,
# read whole (at most ECOINSPECT_EVIDENCE_CHUNK_MAX_BYTES) so that a mismatch stores nothing.
TUS_ROUTES: list[Route] = [
    Route(PATH, create, methods=["POST"]),
    Route(PATH, discover, methods=["OPTIONS"]),
    Route(PATH.rstrip("/"), create, methods=["POST"]),
    Route(PATH.rstrip("/"), discover, methods=["OPTIONS"]),
    Route(PATH + "{id}", offset, methods=["HEAD"]),
    Route(PATH + "{id}", append, methods=["PATCH"]),
    Route(PATH + "{id}", terminate, methods=["DELETE"]),
    Route(PATH + "{id}", discover, methods=["OPTIONS"]),
]
