"""GET /flights/{flight_id}/preview.png: the drone track over the sites it passed, as a PNG map."""

from __future__ import annotations

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http.auth import bearer_viewer
from core.error_codes import ErrorCode
from core.errors import DomainError


async def preview(request: Request) -> Response:
    try:
        viewer = await bearer_viewer(request)
        png = await request.app.state.services.drones.preview(
            viewer, request.path_params["flight_id"], render=lambda *args: to_thread.run_sync(*args))
    except DomainError as exc:
        unauthenticated = (ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_TOKEN, ErrorCode.TOKEN_EXPIRED)
        status = 401 if exc.code in unauthenticated else 404
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=status)
    return Response(png, media_type="image/png")


FLIGHT_ROUTES = [Route("/flights/{flight_id}/preview.png", preview, methods=["GET"])]
