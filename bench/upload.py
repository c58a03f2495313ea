"""Evidence upload throughput and server memory: the resumable HTTP upload against a raw GridFS upload.

    .venv/bin/python bench/upload.py [--mb 100] [--chunk-mib 8]

1. Writes N MB of random bytes to a file (an MP4 file-type box first, so the MIME check passes).
2. One embedded SecantusDB child process (or MONGODB_URI) serves both measurements, in one run:
   - baseline: ``AsyncGridFSBucket.upload_from_stream`` of the file, from this process, timed;
     run before and after the upload, the mean is the baseline;
   - upload: the app runs under uvicorn in its own process (real HTTP/1.1 over loopback); this
     process PUTs the file in ranges of 8 MiB with httpx (Content-Range, one keep-alive connection)
     until the server has verified the SHA-256 and stored the file; timed from the first byte sent
     to the last response, so verification and storage are included.
3. The server process's RSS is sampled every 5 ms during the upload (psutil); the growth is the peak
   minus the RSS just before, after a 2 MiB warm-up upload so that one-time imports do not count.

Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import ROOT, database_name, database_server, emit, free_port, log, machine, temp_dir

TARGET_RATIO = 0.5
TARGET_RSS_GROWTH_MB = 32
MiB = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
INSPECTOR, PASSWORD = "SX-610100-0001", "bench-password-123"


def serve() -> None:
    """The app as ``ecoinspect serve`` runs it, plus the evidence routes and collections."""
    import uvicorn

    from api import logs
    from api.app import create_app
    from api.http.evidence import EVIDENCE_ROUTES
    from core.config import Settings
    from core.db import Database
    from core.evidence.repository import COLLECTIONS

    settings = Settings()
    logs.configure("WARNING", as_json=False)

    async def on_ready(database: Database) -> None:
        await database.ensure_schema(COLLECTIONS)

    app = create_app(settings, on_ready=on_ready)
    routes = app.app.router.routes  # type: ignore[attr-defined]
    if not any(getattr(route, "path", "") == "/evidence/{evidence_id}" for route in routes):
        routes.extend(EVIDENCE_ROUTES)
    uvicorn.run(app, host="127.0.0.1", port=settings.port, log_config=None, access_log=False, lifespan="on")


@contextlib.contextmanager
def app_server(uri: str, name: str, log_path: Path) -> Iterator[tuple[str, int]]:
    """The app under uvicorn in a subprocess on ``uri``; yields its base URL and process id."""
    import httpx

    port = free_port()
    env = {**os.environ, "MONGODB_URI": uri, "ECOINSPECT_DATABASE_NAME": name, "PORT": str(port),
           "ECOINSPECT_LOG_JSON": "false"}
    with log_path.open("wb") as out:
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the app did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                    break
            time.sleep(0.25)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_file(path: Path, size: int) -> str:
    """``size`` random bytes after an MP4 file type box; returns their SHA-256."""
    digest, written = hashlib.sha256(), 0
    with path.open("wb") as out:
        while written < size:
            piece = os.urandom(min(4 * MiB, size - written))
            if written == 0:
                piece = (MP4_HEAD + piece)[:len(piece)]
            out.write(piece)
            digest.update(piece)
            written += len(piece)
    return digest.hexdigest()


async def gridfs_baseline(uri: str, name: str, path: Path) -> float:
    from gridfs import AsyncGridFSBucket

    from core.db import Database

    database = Database(uri, name)
    try:
        bucket = AsyncGridFSBucket(database.db, bucket_name="baseline")
        with path.open("rb") as source:
            started = time.perf_counter()
            await bucket.upload_from_stream(path.name, source)
            return time.perf_counter() - started
    finally:
        await database.client.close()


async def register(uri: str, name: str, size: int, sha256: str, *, with_user: bool) -> str:
    """What the app needs to accept the upload: an inspector, a task of theirs, a registered video."""
    from core.accounts.models import Role
    from core.accounts.service import AccountService
    from core.config import Settings
    from core.db import Database
    from core.inspections.models import Task, TaskStatus
    from core.inspections.repository import InspectionRepository

    database = Database(uri, name)
    try:
        if with_user:
            await AccountService(database, Settings()).create_user(
                username="bench_inspector", password=PASSWORD, roles=[Role.INSPECTOR], jurisdictions=["610100"],
                inspector_id=INSPECTOR)
            task = Task(id="bench-task", plan_id=None, draw_id="alert:bench", credit_code="91610100000000001X",
                        enterprise_name="基准企业", jurisdiction="610100", stratum="general", inspectors=[INSPECTOR],
                        lead=INSPECTOR, status=TaskStatus.IN_PROGRESS, created_at=datetime.now(UTC))
            await InspectionRepository(database).insert_targeted([task], session=None)
        evidence_id, now = str(uuid.uuid4()), datetime.now(UTC)
        await database["evidence"].insert_one({
            "_id": evidence_id, "task_id": "bench-task", "inspection_id": "bench-inspection", "kind": "video",
            "mime_type": "video/mp4", "size": size, "sha256": sha256, "file_name": "bench.mp4", "captured_at": now,
            "place": None, "registered_by": "bench_inspector", "registered_at": now, "status": "pending",
            "received": 0, "file_id": None, "metadata": {}, "completed_at": None})
        return evidence_id
    finally:
        await database.client.close()


class RssSampler:
    """Peak RSS of one process, sampled every 5 ms on a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.before = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def upload(base: str, token: str, evidence_id: str, path: Path, chunk: int) -> tuple[float, float, dict[str, Any]]:
    """PUT the file in ranges; (seconds in all, seconds of the last request, the last response's JSON)."""
    import httpx

    size = path.stat().st_size
    headers = {"authorization": f"Bearer {token}", "content-type": "application/octet-stream"}
    with httpx.Client(base_url=base, timeout=600) as http, path.open("rb") as source:
        started = time.perf_counter()
        start, last_s, body = 0, 0.0, {}
        while start < size:
            data = source.read(chunk)
            end = start + len(data) - 1
            request_started = time.perf_counter()
            response = http.put(f"/evidence/{evidence_id}", content=data,
                                headers={**headers, "content-range": f"bytes {start}-{end}/{size}"})
            last_s = time.perf_counter() - request_started
            if response.status_code != 200:
                raise SystemExit(f"PUT {start}-{end} failed: {response.status_code} {response.text}")
            body, start = response.json(), end + 1
        return time.perf_counter() - started, last_s, body


def token_for(base: str) -> str:
    import httpx

    response = httpx.post(f"{base}/auth/token", data={"username": "bench_inspector", "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def measure(tmp: Path, uri: str, size: int, chunk: int) -> dict[str, Any]:
    path = tmp / "evidence.mp4"
    log(f"writing {size / MiB:.0f} MiB of random bytes")
    sha = write_file(path, size)
    name = database_name("upload")
    log("baseline: AsyncGridFSBucket.upload_from_stream")
    baselines = [asyncio.run(gridfs_baseline(uri, name, path))]
    warm_sha = write_file(tmp / "warm.mp4", 2 * MiB)
    with app_server(uri, name, tmp / "app.log") as (base, pid):
        warm_id = asyncio.run(register(uri, name, 2 * MiB, warm_sha, with_user=True))
        token = token_for(base)
        upload(base, token, warm_id, tmp / "warm.mp4", chunk)
        evidence_id = asyncio.run(register(uri, name, size, sha, with_user=False))
        log(f"upload: {size / MiB:.0f} MiB over HTTP in {chunk // MiB} MiB ranges")
        with RssSampler(pid) as rss:
            seconds, last_s, body = upload(base, token, evidence_id, path, chunk)
    if body.get("status") != "complete" or body.get("file_id") != sha:
        raise SystemExit(f"the upload did not complete as expected: {body}")
    log("baseline again (after the upload)")
    baselines.append(asyncio.run(gridfs_baseline(uri, name, path)))
    baseline = sum(baselines) / len(baselines)
    mb = size / 1e6
    return {
        "file_mib": size // MiB, "file_mb": round(mb, 1), "chunk_mib": chunk // MiB, "requests": -(-size // chunk),
        "transport": "HTTP/1.1 over loopback, httpx -> uvicorn (h11) in its own process",
        "upload_s": round(seconds, 2), "upload_mb_per_s": round(mb / seconds, 1),
        "last_request_s": round(last_s, 2),
        "gridfs_s": round(baseline, 2), "gridfs_s_runs": [round(b, 2) for b in baselines],
        "gridfs_mb_per_s": round(mb / baseline, 1),
        "ratio_vs_gridfs": round(baseline / seconds, 3), "target_ratio": TARGET_RATIO,
        "rss_before_mb": round(rss.before / MiB, 1), "peak_rss_mb": round(rss.peak / MiB, 1),
        "peak_rss_growth_mb": round((rss.peak - rss.before) / MiB, 1), "target_rss_growth_mb": TARGET_RSS_GROWTH_MB,
        "server_verified_sha256": body.get("file_id") == sha,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="file size in MiB (default 100)")
    parser.add_argument("--chunk-mib", type=int, default=8, help="bytes per PUT in MiB (default 8, the server max)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    figures: dict[str, Any] = {"benchmark": "upload", **machine(),
                               "server": "MongoDB (MONGODB_URI)" if os.environ.get("MONGODB_URI")
                               else "SecantusDB (embedded child process)"}
    with temp_dir("ecoinspect-bench-upload-") as tmp, database_server(tmp / "db") as server:
        figures.update(measure(tmp, server.uri, args.mb * MiB, args.chunk_mib * MiB))
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
