"""`ecoinspect serve` as a process writes JSON log lines without terminal colour codes, an access line per request
(route, user, operation, client), and serves process metrics."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ECOINSPECT = Path(sys.executable).with_name("ecoinspect")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_json_logs_of_a_served_process(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ECOINSPECT_DATA_DIR": str(tmp_path), "PORT": str(port), "ECOINSPECT_LOG_JSON": "true",
           "FORCE_COLOR": "1", "ECOINSPECT_DB_SYNC_ON_COMMIT": "false"}
    env.pop("MONGODB_URI", None)
    log_path = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(ECOINSPECT), "serve"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert process.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            else:
                raise AssertionError("serve did not become ready in 120 s")
            answer = httpx.post(f"{base}/graphql", json={"query": "query Probe { viewer { authenticated } }"})
            assert answer.status_code == 200
            metrics = httpx.get(f"{base}/metrics").text
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    output = log_path.read_text(encoding="utf-8")
    assert "\x1b" not in output
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(e["logger"] == "uvicorn.error" and e["message"].startswith("Uvicorn running on") for e in entries)
    assert all("color_message" not in e for e in entries)
    probe = next(e for e in entries if e["logger"] == "api.access" and e.get("operation") == "graphql:Probe")
    assert (probe["route"], probe["status"], probe["client"], probe["user"]) == ("/graphql", 200, "127.0.0.1", "-")
    assert "process_resident_memory_bytes" in metrics and "python_info" in metrics
