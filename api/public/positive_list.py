"""The public positive-list page and its downloads; rows from core/positive_list/publication.py."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from core.csvsafe import render
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.positive_list import publication

_env = Environment(loader=PackageLoader("api.public", "templates"), autoescape=select_autoescape(["html"]))


async def page(request: Request) -> Response:
    """GET /public/positive-list[?jurisdiction=<division>]: the current members and the latest changes."""
    service = request.app.state.services.positive_list
    jurisdiction = request.query_params.get("jurisdiction") or None
    try:
        members = await service.public_members(jurisdiction=jurisdiction)
        changes = await service.public_history(jurisdiction=jurisdiction)
    except DomainError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=404)
    record = publication.public_record(members, changes)
    html = _env.get_template("positive_list.html").render(members=record["members"], history=record["history"],
                                                          jurisdiction=jurisdiction or "")
    return HTMLResponse(html)


async def download(request: Request) -> Response:
    """GET /public/positive-list/{members|history}.{csv|json}[?jurisdiction=<division>]."""
    what, fmt = request.path_params["what"], request.path_params["fmt"]
    if what not in ("members", "history") or fmt not in ("csv", "json"):
        return JSONResponse({"error": "members or history, as .csv or .json", "code": ErrorCode.NOT_FOUND},
                            status_code=404)
    service = request.app.state.services.positive_list
    jurisdiction = request.query_params.get("jurisdiction") or None
    try:
        if what == "members":
            rows = [publication.member_row(m) for m in await service.public_members(jurisdiction=jurisdiction)]
            columns = publication.MEMBER_COLUMNS
        else:
            rows = [publication.change_row(c) for c in await service.public_history(jurisdiction=jurisdiction)]
            columns = publication.CHANGE_COLUMNS
    except DomainError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=404)
    headers = {"Content-Disposition": f'attachment; filename="positive-list-{what}.{fmt}"'}
    if fmt == "json":
        return JSONResponse({what: rows}, headers=headers)
    # The BOM lets Excel read the UTF-8 Chinese names; ``render`` neutralises formula-like cells.
    return Response("\ufeff" + render(columns, rows), media_type="text/csv; charset=utf-8", headers=headers)
