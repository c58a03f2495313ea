"""GET /audit.csv: the audit log as CSV, with the filters of ``auditLog`` as query parameters, same access."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api import logs
from api.audit.scope import audit_scope
from api.graphql.audit import record_request
from api.http.auth import bearer_viewer, client_address
from core.accounts.models import ANONYMOUS, Viewer
from core.audit.models import AuditEntry, AuditFilter
from core.csvsafe import render
from core.error_codes import ErrorCode
from core.errors import DomainError, FieldError, ValidationFailed

OPERATION = "GET /audit.csv"
BOM = "\ufeff"  # Excel reads a UTF-8 CSV as UTF-8 only with it
COLUMNS = ["seq", "at", "actor", "roles", "jurisdictions", "operation", "targets", "outcome", "code", "request_id",
           "address", "source", "detail", "day", "n", "prev", "hash"]
_STATUS = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.INVALID_TOKEN: 401, ErrorCode.TOKEN_EXPIRED: 401,
           ErrorCode.FORBIDDEN: 403}
FILTERS = ("actor", "operation", "target", "outcome")


def _time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed([FieldError(name, f"{name} is not an ISO 8601 time", ErrorCode.BAD_USER_INPUT)]
                               ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _row(entry: AuditEntry) -> dict[str, object]:
    return {**entry.model_dump(include=set(COLUMNS)), "at": entry.at.isoformat(timespec="milliseconds"),
            "roles": " ".join(entry.roles), "jurisdictions": " ".join(entry.jurisdictions),
            "targets": " ".join(entry.targets),
            "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, default=str)}


async def audit_csv(request: Request) -> Response:
    services, viewer = request.app.state.services, ANONYMOUS

    def record(code: str | None, who: Viewer) -> None:
        record_request(services.audit, who, OPERATION, code, request_id=logs.request_id.get(),
                       address=client_address(request))

    try:
        viewer = await bearer_viewer(request)
        scope = audit_scope(viewer)
        where = AuditFilter(**{name: request.query_params.get(name) or None for name in FILTERS},
                            at_from=_time(request, "from"), at_to=_time(request, "to"))
    except DomainError as exc:
        record(exc.code, viewer)
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=_STATUS.get(exc.code, 400))
    record(None, viewer)

    async def lines() -> AsyncIterator[str]:
        yield BOM + render(COLUMNS, [])
        async for part in services.audit.export(scope, where):
            yield render(COLUMNS, [_row(e) for e in part], header=False)

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


AUDIT_ROUTES = [Route("/audit.csv", audit_csv, methods=["GET"])]
