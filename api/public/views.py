"""Public HTML pages and downloads; no login, published data only (what they show: core/inspections/publication.py)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from core.csvsafe import render
from core.error_codes import ErrorCode
from core.inspections import publication
from core.inspections.results import as_row

_env = Environment(loader=PackageLoader("api.public", "templates"), autoescape=select_autoescape(["html"]))
RESULT_COLUMNS = ["credit_code", "enterprise_name", "jurisdiction", "outcome", "summary", "completed_on",
                  "published_at"]
LATEST_PENALTIES = 20  # the index page lists the latest; the feeds have them all


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "no published plan with this id", "code": ErrorCode.NOT_FOUND}, status_code=404)


async def index(request: Request) -> HTMLResponse:
    q = request.query_params.get("q", "").strip().lower()[:100]
    services = request.app.state.services
    plans, hits = await services.plans.search_published(q)
    penalties = await services.public_cases.decisions(limit=LATEST_PENALTIES)  # the page's second section
    return _render("index.html", plans=plans, q=q, hits=hits, penalties=penalties)


async def plan_page(request: Request) -> Response:
    found = await request.app.state.services.plans.public_plan(request.path_params["plan_id"])
    if found is None:
        return _render("missing.html", status=404)
    record = publication.plan_record(found.plan, found.draw)
    return _render("plan.html", plan=record["plan"], draw=record["draw"], objects=record["objects"],
                   replacements=record["replacements"], results=[as_row(t) for t in found.results])


async def plan_json(request: Request) -> Response:
    """GET /public/plans/<id>.json: the plan's public record (status, cancellation, objects, replacements)."""
    found = await request.app.state.services.plans.public_plan(request.path_params["plan_id"])
    if found is None:
        return _not_found()
    return JSONResponse(publication.plan_record(found.plan, found.draw))


async def download(request: Request) -> Response:
    what, fmt = request.path_params["what"], request.path_params["fmt"]
    if (what, fmt) == ("commitment", "json"):
        data = await request.app.state.services.plans.public_commitment(request.path_params["plan_id"])
        return Response(data, media_type="application/json") if data is not None else _not_found()
    found = await request.app.state.services.plans.public_plan(request.path_params["plan_id"])
    if found is None or what not in ("objects", "results") or fmt not in ("csv", "json"):
        return _not_found()
    plan = found.plan
    if what == "objects":
        record = publication.plan_record(plan, found.draw)
        rows, columns = record["objects"], publication.OBJECT_COLUMNS
        body: dict[str, Any] = {"plan_id": plan.id, "plan": plan.name, "status": record["plan"]["status"],
                                "cancellation": record["plan"]["cancellation"], "objects": rows,
                                "replacements": record["replacements"]}
    else:
        rows, columns = [as_row(t) for t in found.results], RESULT_COLUMNS
        body = {"plan_id": plan.id, "plan": plan.name, "results": rows}
    filename = f"{what}-{plan.id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "json":
        return JSONResponse(body, headers=headers)
    # The BOM lets Excel read the UTF-8 Chinese names; ``render`` neutralises formula-like cells.
    return Response("\ufeff" + render(columns, rows), media_type="text/csv; charset=utf-8", headers=headers)


async def verify_page(_request: Request) -> HTMLResponse:
    return _render("verify.html")
