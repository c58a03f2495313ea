"""GET /tasks/{task_id}/record.pdf: the on-site record (现场检查记录) printed from the structured data."""

from __future__ import annotations

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http.auth import bearer_viewer
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.fieldwork.record_pdf import render_onsite_record

_STATUS = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.INVALID_TOKEN: 401, ErrorCode.TOKEN_EXPIRED: 401,
           ErrorCode.NOT_FOUND: 404, ErrorCode.NOT_STARTED: 409}


async def onsite_record_pdf(request: Request) -> Response:
    try:
        viewer = await bearer_viewer(request)
        record = await request.app.state.services.records.get(viewer, request.path_params["task_id"])
    except DomainError as exc:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=_STATUS.get(exc.code, 400))
    # reportlab is synchronous and keeps a global font registry: render off the event loop.
    pdf = await to_thread.run_sync(render_onsite_record, record)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="record-{record.task_id}.pdf"'})


RECORD_ROUTES = [Route("/tasks/{task_id}/record.pdf", onsite_record_pdf, methods=["GET"])]
