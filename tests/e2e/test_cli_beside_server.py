"""The command line beside a running `ecoinspect serve` (issue #16 item 11): it uses the server's embedded database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ECOINSPECT = Path(sys.executable).with_name("ecoinspect")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, base: str, data_dir: Path, process: subprocess.Popen[bytes]) -> None:
        self.base, self.data_dir, self.process = base, data_dir, process
        self.env = {**os.environ, "ECOINSPECT_DATA_DIR": str(data_dir), "ECOINSPECT_LOG_JSON": "false"}
        self.env.pop("MONGODB_URI", None)

    def cli(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(ECOINSPECT), *args], cwd=ROOT, capture_output=True, text=True, env=self.env,
                              timeout=300)
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def gql(self, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/graphql", json={"query": query, "variables": variables},
                              headers={"authorization": f"Bearer {token}"}, timeout=60)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        assert not body.get("errors"), body
        return dict(body["data"])

    def token(self, username: str) -> str:
        response = httpx.post(f"{self.base}/auth/token", data={"username": username, "password": "ecoinspect-demo"})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("beside")
    port = _free_port()
    env = {**os.environ, "ECOINSPECT_DATA_DIR": str(data_dir), "PORT": str(port), "ECOINSPECT_LOG_JSON": "false"}
    env.pop("MONGODB_URI", None)
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen([str(ECOINSPECT), "serve"], cwd=ROOT, env=env, stdout=log,
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
        yield Served(base, data_dir, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        log.close()


def test_the_server_publishes_its_database_address(served: Served) -> None:
    published = json.loads((served.data_dir / "db" / "ecoinspect.address").read_text())
    assert published["pid"] == served.process.pid
    assert published["uri"].startswith("mongodb://127.0.0.1:")


def test_cli_commands_work_beside_the_server_and_see_its_data(served: Served) -> None:
    served.cli("demo", "--enterprises", "300")  # written through the server's database ...
    admin = served.token("supervisor1")  # ... so the logins it created work on the server at once
    page = served.gql(admin, "{ enterprises(first: 100) { edges { node { creditCode } } } }")
    assert len(page["enterprises"]["edges"]) == 100

    status = served.cli("db", "status").stdout
    assert "running server's" in status
    assert any(line.split() == ["enterprises", "300"] for line in status.splitlines())

    served.cli("meters", "demo")
    scanned = json.loads(served.cli("meters", "scan", "--json").stdout)
    assert scanned, "the demo week has known problems: the scan finds some"

    # A plan drawn through the server is exported by the command line.
    plan = served.gql(admin, """mutation { createPlan(input: {name: "beside", jurisdiction: "610100",
        matters: ["STJ-WRY-01"], periodStart: "2027-01-01", periodEnd: "2027-03-31"}) { plan { planId } } }""")
    plan_id = plan["createPlan"]["plan"]["planId"]
    served.gql(admin, f'mutation {{ freezePlan(input: {{planId: "{plan_id}"}}) {{ plan {{ planId }} }} }}')
    served.gql(admin, f'mutation {{ drawPlan(input: {{planId: "{plan_id}", publicValue: "1 2 3 4 5"}}) '
                      '{ draw { drawnCount } } }')
    exported = served.data_dir / "draw.json"
    served.cli("plan", "export", plan_id, "--output", str(exported))
    assert plan_id in exported.read_text()

    # A field record pushed to the server is checked by verify-task from the command line.
    inspector = served.token("inspector1")
    task_id = served.gql(inspector, "{ myTasks(first: 1) { taskId } }")["myTasks"][0]["taskId"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ops = {"deviceNow": now, "ops": [{"opId": str(uuid.uuid4()), "type": "START_TASK", "taskId": task_id,
                                      "recordId": str(uuid.uuid4()), "deviceTime": now,
                                      "place": {"lat": 34.26, "lon": 108.94, "accuracyM": 12}}]}
    pushed = served.gql(inspector, "mutation($i: SyncPushInput!) { syncPush(input: $i) { results { status } } }",
                        {"i": ops})
    assert pushed["syncPush"]["results"][0]["status"] == "APPLIED"
    verified = served.cli("verify-task", task_id).stdout
    assert "1 entries" in verified and "chain intact" in verified


def test_after_a_clean_stop_the_cli_starts_its_own_database(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=60)
    assert not (served.data_dir / "db" / "ecoinspect.address").exists()
    status = served.cli("db", "status").stdout
    assert "SecantusDB (embedded) " in status and "running server's" not in status
    assert any(line.split() == ["enterprises", "300"] for line in status.splitlines())
