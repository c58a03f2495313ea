"""GET /cases/{case_id}/documents/{kind}.pdf?ref=: a case document (执法文书) printed from the case's recorded state."""

from __future__ import annotations

from functools import partial

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http.auth import bearer_viewer
from core.cases.documents import CASE_REF, DocumentKind, document_hash, render
from core.error_codes import ErrorCode
from core.errors import DomainError, NotFound

_STATUS = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.INVALID_TOKEN: 401, ErrorCode.TOKEN_EXPIRED: 401,
           ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404}


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in DocumentKind)
        raise NotFound(f"no document kind {value!r}; the kinds are {kinds}", field="kind") from None


async def case_document_pdf(request: Request) -> Response:
    try:
        viewer = await bearer_viewer(request)
        cases = request.app.state.services.cases
        case = await cases.get(viewer, request.path_params["case_id"])
        steps = await cases.timeline(viewer, case.id)  # who signed each step; later steps are ignored
        kind, ref = _kind(request.path_params["kind"]), request.query_params.get("ref") or CASE_REF
        # reportlab is synchronous and keeps a global font registry: render off the event loop.
        pdf = await to_thread.run_sync(partial(render, case, kind, ref, steps=steps, rules=cases.rules))
    except DomainError as exc:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=_STATUS.get(exc.code, 400))
    digest = document_hash(pdf)
    headers = {"ETag": f'"{digest}"', "X-Content-SHA256": digest, "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="case-{case.id}-{kind.value}-{ref}.pdf"'
    return Response(pdf, media_type="application/pdf", headers=headers)


CASE_DOCUMENT_ROUTES = [Route("/cases/{case_id}/documents/{kind}.pdf", case_document_pdf, methods=["GET"])]
