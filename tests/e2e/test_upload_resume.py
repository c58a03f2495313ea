"""An evidence upload interrupted by killing the server (and its database) with SIGKILL resumes and completes."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest
from gridfs import AsyncGridFSBucket

from core.accounts.models import Role
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database
from core.evidence.chunks import COMMIT_CHUNKS
from core.evidence.repository import CHUNK_SIZE
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
SIZE, FIRST, CHUNK_MAX = 20 * MiB, 3 * MiB, 8 * MiB
INSPECTOR, PASSWORD = "SX-610100-0001", "correct-horse-battery"

# The app as `ecoinspect serve` builds it, plus the evidence routes and collections for as long as
# api/app.py and core/schema.py do not list them yet.
RUNNER = """
import uvicorn
from api.app import create_app
from api.http.evidence import EVIDENCE_ROUTES
from core.config import Settings
from core.evidence.repository import COLLECTIONS

async def on_ready(database):
    await database.ensure_schema(COLLECTIONS)

settings = Settings()
asgi = create_app(settings, on_ready=on_ready)
routes = asgi.app.router.routes
if not any(getattr(route, "path", "") == "/evidence/{evidence_id}" for route in routes):
    routes.extend(EVIDENCE_ROUTES)
uvicorn.run(asgi, host="127.0.0.1", port=settings.port, log_config=None, access_log=False, lifespan="on")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """The API process on a data directory, with its embedded database as a child process."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: asyncio.subprocess.Process | None = None
        self.base = self.db_uri = ""

    async def start(self) -> None:
        port, db_port = _free_port(), _free_port()
        env = {**os.environ, "ECOINSPECT_DATA_DIR": str(self.data_dir), "PORT": str(port),
               "ECOINSPECT_EMBEDDED_DB_PORT": str(db_port), "ECOINSPECT_LOG_JSON": "false"}
        env.pop("MONGODB_URI", None)
        with (self.data_dir / "serve.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", RUNNER, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"
        self.db_uri = f"mongodb://127.0.0.1:{db_port}/?directConnection=true"
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError((self.data_dir / "serve.log").read_text())
                try:
                    if (await http.get(f"{self.base}/readyz", timeout=1)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        raise AssertionError("the server did not become ready in 120 s")

    def kill(self) -> None:
        """SIGKILL the API process and its database: nothing gets to flush or shut down."""
        assert self.process is not None
        processes = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        assert any("secantus" in " ".join(p.cmdline()) for p in processes), "the embedded database is not a child"
        for process in processes:
            process.send_signal(signal.SIGKILL)
        psutil.wait_procs(processes, timeout=30)
        self.process = None

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), timeout=60)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    server = Served(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _setup(db_uri: str, data: bytes) -> str:
    """An inspector, a task assigned to them, and a registered 20 MiB video; returns the evidence id."""
    database = Database(db_uri, Settings().database_name)
    try:
        await AccountService(database, Settings()).create_user(
            username="inspector", password=PASSWORD, roles=[Role.INSPECTOR], jurisdictions=["610100"],
            inspector_id=INSPECTOR)
        task = Task(id="task-1", plan_id=None, draw_id="alert:e2e", credit_code="91610100000000001X",
                    enterprise_name="测试企业", jurisdiction="610100", stratum="general", inspectors=[INSPECTOR],
                    lead=INSPECTOR, status=TaskStatus.IN_PROGRESS, created_at=datetime.now(UTC))
        await InspectionRepository(database).insert_targeted([task], session=None)
        evidence_id, now = str(uuid.uuid4()), datetime.now(UTC)
        await database["evidence"].insert_one({
            "_id": evidence_id, "task_id": "task-1", "inspection_id": "inspection-1", "kind": "video",
            "mime_type": "video/mp4", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "file_name": "outfall.mp4", "captured_at": now, "place": None, "registered_by": "inspector",
            "registered_at": now, "status": "pending", "received": 0, "file_id": None, "metadata": {},
            "completed_at": None})
        return evidence_id
    finally:
        await database.client.close()


async def _token(base: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base}/auth/token", data={"username": "inspector", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _offset(base: str, token: str, evidence_id: str) -> int:
    async with httpx.AsyncClient() as http:
        response = await http.head(f"{base}/evidence/{evidence_id}", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


async def _put(base: str, token: str, evidence_id: str, data: bytes, start: int, end: int) -> httpx.Response:
    async with httpx.AsyncClient(timeout=120) as http:
        return await http.put(f"{base}/evidence/{evidence_id}", content=data[start:end + 1],
                              headers={"authorization": f"Bearer {token}",
                                       "content-range": f"bytes {start}-{end}/{len(data)}"})


async def _start_partial_put(base: str, token: str, evidence_id: str, data: bytes, start: int, sent: int
                             ) -> asyncio.StreamWriter:
    """A PUT of a full 8 MiB range whose body stops after ``sent`` bytes, the connection left open."""
    host, port = base.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    end = start + CHUNK_MAX - 1
    head = (f"PUT /evidence/{evidence_id} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Range: bytes {start}-{end}/{len(data)}\r\nContent-Length: {CHUNK_MAX}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n")
    writer.write(head.encode())
    for piece in range(start, start + sent, 64 * 1024):
        writer.write(data[piece:min(piece + 64 * 1024, start + sent)])
        await writer.drain()
    return writer


async def test_upload_interrupted_by_sigkill_resumes_and_completes(served: Served) -> None:
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # an MP4 file type box
    data = header + os.urandom(SIZE - len(header))
    sha = hashlib.sha256(data).hexdigest()
    evidence_id = await _setup(served.db_uri, data)
    token = await _token(served.base)
    assert (await _put(served.base, token, evidence_id, data, 0, FIRST - 1)).status_code == 200

    sent = 5 * MiB
    writer = await _start_partial_put(served.base, token, evidence_id, data, FIRST, sent)
    deadline = time.monotonic() + 60
    while (seen := await _offset(served.base, token, evidence_id)) == FIRST:  # mid-transfer commits
        assert time.monotonic() < deadline, "no batch of the interrupted range was committed"
        await asyncio.sleep(0.05)
    served.kill()
    writer.close()

    await served.start()  # the same data directory
    token = await _token(served.base)
    resumed = await _offset(served.base, token, evidence_id)
    batch_starts = FIRST - FIRST % CHUNK_SIZE  # commits land on whole batches of chunks after the tail
    assert FIRST <= resumed <= FIRST + sent, (seen, resumed)
    assert resumed == FIRST or (resumed - batch_starts) % (COMMIT_CHUNKS * CHUNK_SIZE) == 0, resumed
    stale = await _put(served.base, token, evidence_id, data, FIRST - 10, FIRST + 99)
    assert stale.status_code == 409 and stale.json()["offset"] == resumed

    start = resumed
    while start < SIZE:
        end = min(start + CHUNK_MAX, SIZE) - 1
        response = await _put(served.base, token, evidence_id, data, start, end)
        assert response.status_code == 200, response.text
        start = end + 1
    assert response.json()["status"] == "complete" and response.json()["file_id"] == sha

    database = Database(served.db_uri, Settings().database_name)
    try:
        stream = await AsyncGridFSBucket(database.db).open_download_stream(sha)
        digest = hashlib.sha256()
        while piece := await stream.readchunk():
            digest.update(piece)
        assert digest.hexdigest() == sha and stream.length == SIZE
    finally:
        await database.client.close()
