"""Public, unauthenticated endpoints: published draw documents and penalty decisions (一公开)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.cases.publication import to_csv, to_json
from core.error_codes import ErrorCode
from core.errors import DomainError


async def public_draw_document(request: Request) -> JSONResponse:
    draw_id = request.path_params["draw_id"]
    document = await request.app.state.services.draws.published_document(draw_id)
    if document is None:
        return JSONResponse({"error": "no published draw with this id", "code": ErrorCode.NOT_FOUND}, status_code=404)
    return JSONResponse(document, headers={
        "Content-Disposition": f'attachment; filename="draw-{draw_id.replace(":", "-")}.json"'})


async def public_penalties(request: Request) -> Response:
    """GET /public/penalties.json|csv[?jurisdiction=<division>]: published penalty decisions, personal data masked."""
    fmt = request.path_params["fmt"]
    if fmt not in ("json", "csv"):
        return JSONResponse({"error": "penalties are published as .json or .csv", "code": ErrorCode.NOT_FOUND},
                            status_code=404)
    jurisdiction = request.query_params.get("jurisdiction") or None
    try:
        decisions = await request.app.state.services.public_cases.decisions(jurisdiction=jurisdiction)
    except DomainError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=404)
    headers = {"Content-Disposition": f'attachment; filename="penalties{"-" + jurisdiction if jurisdiction else ""}'
                                      f'.{fmt}"'}
    if fmt == "json":
        return Response(to_json(decisions), media_type="application/json", headers=headers)
    return Response(to_csv(decisions), media_type="text/csv; charset=utf-8", headers=headers)
