"""POST /meters/readings: a bulk file of meter readings (CSV or JSON lines), streamed to disk, then ingested."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.http.auth import bearer_viewer
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.registry.sources import SourceError, open_rows

MAX_BYTES = 512 * 1024 * 1024
REQUIRED = ["meter", "timestamp"]


async def post_readings(request: Request) -> JSONResponse:
    try:
        viewer = await bearer_viewer(request)
    except DomainError as exc:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=401)
    suffix = ".csv" if "csv" in request.headers.get("content-type", "") else ".jsonl"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"readings{suffix}"
        size = 0
        with path.open("wb") as out:  # streamed: never the whole file in memory
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BYTES:
                    return JSONResponse({"code": ErrorCode.FILE_TOO_LARGE, "message": f"at most {MAX_BYTES} bytes"},
                                        status_code=413)
                out.write(chunk)
        try:
            report = await request.app.state.services.meters.ingest(viewer, open_rows(path, REQUIRED))
        except SourceError as exc:
            return JSONResponse({"code": exc.code, "message": str(exc)}, status_code=400)
        except DomainError as exc:
            return JSONResponse({"code": exc.code, "message": exc.message}, status_code=403)
    return JSONResponse({"received": report.received, "accepted": report.accepted,
                         "bucketsCreated": report.buckets_created, "bucketsChanged": report.buckets_changed,
                         "errors": [e.__dict__ for e in report.errors[:1000]], "errorCount": len(report.errors)})


METER_ROUTES = [Route("/meters/readings", post_readings, methods=["POST"])]
