"""`ecoinspect serve --demo` as a real process: demo data, logins, scoped queries over loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ECOINSPECT = Path(sys.executable).with_name("ecoinspect")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {**os.environ, "ECOINSPECT_DATA_DIR": str(data_dir), "PORT": str(port),
           "ECOINSPECT_LOG_JSON": "false"}
    env.pop("MONGODB_URI", None)
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen([str(ECOINSPECT), "serve", "--demo"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError((data_dir / "serve.log").read_text())
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("serve did not become ready in 120 s")
        yield base, data_dir
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def _token(base: str, username: str) -> str:
    response = httpx.post(f"{base}/auth/token", data={"username": username, "password": "ecoinspect-demo"})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _query(base: str, token: str, query: str) -> dict:
    response = httpx.post(f"{base}/graphql", json={"query": query},
                          headers={"authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200
    return dict(response.json())


def test_demo_logins_are_printed_and_work(served: tuple[str, Path]) -> None:
    base, data_dir = served
    output = (data_dir / "serve.log").read_text()
    for name in ("supervisor1", "inspector1", "inspector2", "author1", "admin1"):
        assert name in output
    assert "5000 enterprises" in output
    assert _query(base, _token(base, "author1"), "{ viewer { roles } }")["data"]["viewer"]["roles"] == ["rule_author"]


def test_supervisor_sees_the_province_and_inspector_only_xian(served: tuple[str, Path]) -> None:
    base, _ = served
    query = "{ enterprises(first: 100) { edges { node { jurisdiction } } } }"
    province = _query(base, _token(base, "supervisor1"), query)["data"]["enterprises"]["edges"]
    xian = _query(base, _token(base, "inspector1"), query)["data"]["enterprises"]["edges"]
    assert len(province) == 100 and len({e["node"]["jurisdiction"] for e in province}) > 5
    assert len(xian) == 100 and {e["node"]["jurisdiction"] for e in xian} == {"610100"}


def test_the_command_line_uses_the_running_servers_database(served: tuple[str, Path]) -> None:
    base, data_dir = served
    env = {**os.environ, "ECOINSPECT_DATA_DIR": str(data_dir)}
    env.pop("MONGODB_URI", None)
    status = subprocess.run([str(ECOINSPECT), "db", "status"], cwd=ROOT, capture_output=True, text=True,
                            env=env, timeout=60)
    # The running server holds the data directory: the command line reads through the server's database.
    assert status.returncode == 0, status.stderr
    assert "running server's" in status.stdout
    assert any(line.split() == ["enterprises", "5000"] for line in status.stdout.splitlines())
