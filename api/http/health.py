"""Liveness (process up) and readiness (database reachable, answered within a second)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.http.graphql_endpoint import RETRY_AFTER_S
from core.error_codes import ErrorCode

# A load balancer must hear "not ready" quickly while the database is down or restarting; a ping that
# takes longer than this counts as unreachable.
READY_TIMEOUT_S = 0.8


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    if await request.app.state.database.ping(timeout_s=READY_TIMEOUT_S):
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "code": ErrorCode.UNAVAILABLE, "reason": "database unreachable"},
                        status_code=503, headers={"Retry-After": RETRY_AFTER_S})
