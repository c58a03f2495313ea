"""Public, unauthenticated endpoints: published draw documents (一公开)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.error_codes import ErrorCode


async def public_draw_document(request: Request) -> JSONResponse:
    draw_id = request.path_params["draw_id"]
    document = await request.app.state.services.draws.published_document(draw_id)
    if document is None:
        return JSONResponse({"error": "no published draw with this id", "code": ErrorCode.NOT_FOUND}, status_code=404)
    return JSONResponse(document, headers={
        "Content-Disposition": f'attachment; filename="draw-{draw_id.replace(":", "-")}.json"'})
