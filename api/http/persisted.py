"""Automatic persisted queries (Apollo's protocol) on the GraphQL endpoint: a document sent once, then its hash.

A request names its document with ``extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}``:

- without ``query``: the server must know the hash, else ``PERSISTED_QUERY_NOT_FOUND`` (message
  ``PersistedQueryNotFound``, status 200 and ``Cache-Control: no-cache`` as Apollo Server answers it, so that
  every Apollo client, on the web or on a phone, sends the document next);
- with ``query``: the hash must be the document's SHA-256 (``PERSISTED_QUERY_HASH_MISMATCH``, 400); the document
  is remembered (``PersistedQueryService``) once it has parsed and validated.

GET accepts the same parameters in the URL (``extensions`` and ``variables`` as JSON), in every mode, for queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from core.error_codes import ErrorCode
from core.errors import ValidationFailed
from core.persisted.service import check_hash, verify

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # the message Apollo clients look for, beside the code


@dataclass(frozen=True)
class PersistedRequest:
    sha256: str
    carries_query: bool  # the request sent the document too: verify it, then remember it


class Refused(Exception):
    """A persisted-query extension that cannot be used: a message and its code."""

    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def persisted_request(params: dict[str, Any]) -> PersistedRequest | None:
    """The persisted query a request names, None when it names none; raises Refused for a malformed one."""
    extensions = params.get("extensions")
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise Refused("extensions must be an object", ErrorCode.BAD_REQUEST)
    found = extensions.get("persistedQuery")
    if found is None:
        return None
    if not isinstance(found, dict) or found.get("version") != 1:
        raise Refused("persistedQuery must be {version: 1, sha256Hash}", ErrorCode.BAD_REQUEST)
    sha256 = found.get("sha256Hash")
    if not isinstance(sha256, str):
        raise Refused("persistedQuery.sha256Hash must be a string", ErrorCode.BAD_REQUEST)
    query = params.get("query")
    try:
        if query is None:
            check_hash(sha256)
        elif isinstance(query, str):  # any other query is refused as malformed afterwards
            verify(sha256, query)
    except ValidationFailed as exc:
        raise Refused(exc.message, exc.code) from None
    return PersistedRequest(sha256, carries_query=query is not None)


def not_found(media: str) -> Response:
    body = {"errors": [{"message": NOT_FOUND_MESSAGE, "extensions": {"code": ErrorCode.PERSISTED_QUERY_NOT_FOUND}}]}
    return JSONResponse(body, status_code=200, media_type=media,
                        headers={"Cache-Control": "private, no-cache, must-revalidate"})
