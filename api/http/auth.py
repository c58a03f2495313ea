"""``POST /auth/token``: the OAuth2 password grant and the refresh-token grant."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from api import logs
from core.accounts.models import User, Viewer
from core.error_codes import ErrorCode
from core.errors import AccountLocked, TooManyAttempts, Unauthenticated

log = logging.getLogger(__name__)


async def bearer_viewer(request: Request) -> Viewer:
    """The signed-in viewer of a plain-HTTP endpoint (files, PDFs, maps); Unauthenticated otherwise."""
    scheme, _, raw = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthenticated("send an Authorization: Bearer <token> header")
    viewer: Viewer = await request.app.state.accounts.viewer_from_token(raw.strip())
    logs.note(user=viewer.username)
    return viewer


def client_address(request: Request) -> str:
    """The peer's address as the server sees it. uvicorn replaces it with X-Forwarded-For only when
    the peer is a trusted proxy (FORWARDED_ALLOW_IPS); the header itself is never read here."""
    return request.client.host if request.client else "unknown"


def _oauth_error(error: str, description: str, status: int, code: ErrorCode) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description, "code": code},
                        status_code=status, headers={"Cache-Control": "no-store"})


async def token(request: Request) -> JSONResponse:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            form = dict(await request.json())
        except ValueError:
            return _oauth_error("invalid_request", "the body is not valid JSON", 400, ErrorCode.BAD_REQUEST)
    else:
        form = dict(await request.form())
    accounts, audit = request.app.state.accounts, request.app.state.services.audit
    grant, address = str(form.get("grant_type", "password")), client_address(request)
    logs.note(operation=f"token:{grant}"[:40])

    def record(code: ErrorCode | None, user: User | None = None) -> None:
        """Queue the login's audit entry (the writer task stores it; the answer does not wait)."""
        name = str(form.get("username"))
        audit.record(actor=name, operation="login", outcome="ok" if code is None else f"refused:{code}", code=code,
                     roles=[role.value for role in user.roles] if user else [],
                     jurisdictions=user.jurisdictions if user else [], targets=[("user", name)],
                     request_id=logs.request_id.get(), address=address, source="http",
                     detail={"address": address})

    try:
        if grant == "password":
            username, password = str(form.get("username", "")), str(form.get("password", ""))
            if not username or not password:
                return _oauth_error("invalid_request", "username and password are required", 400, ErrorCode.BAD_REQUEST)
            user = await accounts.authenticate(username, password, address=address)
            logs.note(user=user.username)
            tokens = accounts.issue_tokens(user)
            record(None, user)
        elif grant == "refresh_token":
            tokens = await accounts.refresh(str(form.get("refresh_token", "")))
        else:
            return _oauth_error("unsupported_grant_type", f"grant_type {grant} is not supported", 400,
                                ErrorCode.UNSUPPORTED_GRANT_TYPE)
    except (AccountLocked, TooManyAttempts) as exc:
        record(exc.code)
        return _oauth_error("invalid_grant", exc.message, 423 if isinstance(exc, AccountLocked) else 429, exc.code)
    except Unauthenticated as exc:
        if grant == "password":
            record(exc.code)
        return _oauth_error("invalid_grant", exc.message, 401, exc.code)
    return JSONResponse(tokens, headers={"Cache-Control": "no-store"})
