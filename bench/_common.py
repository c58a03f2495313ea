"""Helpers the benchmarks share: repo on sys.path, a database server, free ports, output."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# First, always: a script's own directory (bench/, which has an api.py) comes before PYTHONPATH, so the
# repository must be put in front of it even when PYTHONPATH already names it.
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    """Progress goes to stderr; stdout is for figures (the last line is the JSON)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(figures: dict[str, Any]) -> None:
    """Print the figures readably, then as one JSON object on the last line of stdout."""
    for key, value in figures.items():
        print(f"{key:28} {value}")
    print(json.dumps(figures, ensure_ascii=False), flush=True)


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_name(label: str) -> str:
    return f"bench_{label}_{uuid.uuid4().hex[:10]}"


@dataclass
class Server:
    uri: str
    pid: int | None  # the embedded server's process id (None on MONGODB_URI)


@contextlib.contextmanager
def database_server(workdir: Path) -> Iterator[Server]:
    """A fresh embedded SecantusDB child process in ``workdir`` (or MONGODB_URI when set)."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield Server(uri, None)
        return
    import psutil

    from core.db import EmbeddedServer

    workdir.mkdir(parents=True, exist_ok=True)
    storage = workdir / "db"
    server = EmbeddedServer(storage, timeout_s=60.0)
    uri = server.start()
    pid = next((child.pid for child in psutil.Process().children()
                if str(storage) in child.cmdline()), None)
    try:
        yield Server(uri, pid)
    finally:
        server.stop()
        shutil.rmtree(storage, ignore_errors=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def stop_server(process: subprocess.Popen[bytes], *, timeout_s: float = 60) -> None:
    """SIGTERM a served process (its lifespan stops the embedded database), then reap what it started."""
    import psutil

    descendants: list[Any] = []
    with contextlib.suppress(psutil.Error):
        descendants = psutil.Process(process.pid).children(recursive=True)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for child in descendants:  # only processes this server started
        with contextlib.suppress(psutil.Error):
            child.wait(timeout=20)
        with contextlib.suppress(psutil.Error):
            if child.is_running():
                child.kill()
