"""A request that finds the database unreachable answers 503 UNAVAILABLE with Retry-After, not a 500."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.http.graphql_endpoint import RETRY_AFTER_S
from core.db import UNAVAILABLE_ERRORS, is_unavailable
from core.error_codes import ErrorCode

log = logging.getLogger(__name__)
MESSAGE = "the database is unavailable; retry shortly"


async def database_unavailable(request: Request, exc: Exception) -> Response:
    if not is_unavailable(exc):
        raise exc  # any other database error is an internal fault: Starlette logs it and answers 500
    log.warning("database unavailable", extra={"path": request.url.path, "error": type(exc).__name__})
    body: dict[str, Any] = {"code": ErrorCode.UNAVAILABLE, "message": MESSAGE}
    if request.url.path == "/graphql":  # GraphQL clients read errors[].extensions.code
        body = {"errors": [{"message": MESSAGE, "extensions": {"code": ErrorCode.UNAVAILABLE}}]}
    return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_S})


UNAVAILABLE_HANDLERS: dict[Any, Any] = dict.fromkeys(UNAVAILABLE_ERRORS, database_unavailable)
