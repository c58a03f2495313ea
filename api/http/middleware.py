"""ASGI middleware: request id, body size limit (413), access log and HTTP metrics."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from api import logs
from api.http.metrics import HTTP_LATENCY, HTTP_REQUESTS
from core.error_codes import ErrorCode

log = logging.getLogger("api.access")
Scope = dict[str, Any]


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-Id`` in and out) and caps the body size."""

    def __init__(self, app: Any, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex[:16]
        token = logs.request_id.set(rid)
        facts: dict[str, str] = {}
        facts_token = logs.access_facts.set(facts)
        # Evidence uploads stream up to ECOINSPECT_EVIDENCE_CHUNK_MAX_BYTES per request; their handler
        # (api/http/evidence.py) enforces that limit itself while reading.
        limit = None if scope["path"].startswith(_OWN_LIMIT_PREFIXES) else self.max_body_bytes
        started, status = time.perf_counter(), 500
        try:
            declared = headers.get("content-length")
            if limit is not None and declared and declared.isdigit() and int(declared) > limit:
                status = 413
                await _too_large(send, rid, limit)
                return

            if limit is not None and scope["method"] in ("POST", "PUT", "PATCH"):
                # Read the body here, before the app: a body over the limit (declared or not, chunked
                # included) is refused with 413 before any handler starts, and nothing half-read leaks.
                body = await _read_body(receive, limit)
                if body is None:
                    status = 413
                    await _too_large(send, rid, limit)
                    return
                receive = _replay(body, receive)

            async def send_with_id(message: dict[str, Any]) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
                await send(message)

            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(route).observe(elapsed)
            client = scope.get("client")
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "route": route,
                                       "status": status, "ms": round(elapsed * 1000, 2),
                                       "client": client[0] if client else "unknown",
                                       "user": facts.get("user", "-"), "operation": facts.get("operation", "-")})
            logs.access_facts.reset(facts_token)
            logs.request_id.reset(token)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The metrics label of a request: the template of the route it matched (``/public/plans/{plan_id}``), so ids
    never become labels; "unmatched" for a path no route serves (404s, a refused body before routing)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
_OWN_LIMIT_PREFIXES = ("/evidence/", "/meters/readings")  # streamed uploads with their own limits


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)  # the client went away: the app sees an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: disconnect notices come from the server

    return replay


async def _too_large(send: Any, rid: str, limit: int) -> None:
    body = json.dumps({"errors": [{"message": f"request body exceeds {limit} bytes",
                                   "extensions": {"code": ErrorCode.BODY_TOO_LARGE}}]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"x-request-id", rid.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
