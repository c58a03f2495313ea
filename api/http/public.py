"""Public, unauthenticated endpoints: published draw documents (一公开)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from scheduler.export import draw_document


async def public_draw_document(request: Request) -> JSONResponse:
    draw_id = request.path_params["draw_id"]
    services = request.app.state.services
    draw = await services.plans.repository.get_draw(draw_id)
    if draw is None or not draw.published:
        return JSONResponse({"error": "no published draw with this id", "code": "NOT_FOUND"}, status_code=404)
    document = await draw_document(services.plans.repository, draw_id)
    return JSONResponse(document, headers={
        "Content-Disposition": f'attachment; filename="draw-{draw_id.replace(":", "-")}.json"'})
