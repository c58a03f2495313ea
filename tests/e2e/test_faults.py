"""Faults of the real `ecoinspect serve` process: its database child killed, and the server killed mid-sync.

The server runs as a subprocess on a fresh data directory with a fixed embedded-database port (so the
test can seed it and read it back directly). Timing bounds here only detect a hang: each is several
times what the issue demands, for a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
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
import psutil
import pytest

from core.accounts.models import Role, Viewer
from core.accounts.service import AccountService
from core.config import Settings
from core.datadir import wait_gone
from core.db import Database
from core.demo import generator
from core.fieldwork.chain import verify_task
from core.fieldwork.checklists import ChecklistService
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository
from core.registry.models import Matter
from core.registry.repository import MatterRepository

ROOT = Path(__file__).resolve().parents[2]
ECOINSPECT = Path(sys.executable).with_name("ecoinspect")
INSPECTOR, PASSWORD = "SX-610100-0001", "correct-horse-battery"
SUPERVISOR = Viewer(username="seed", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
ITEMS = [{"id": "permit_posted", "text": "排污许可证正本悬挂", "type": "yes_no", "pass_value": True}]
PUSH = """mutation($i: SyncPushInput!) { syncPush(input: $i) {
  results { opId status code } userErrors { code message } } }"""
DB_QUERY = "{ matters { code } }"  # public, and answered from the database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """`ecoinspect serve` on one data directory; the same command (ports included) on every start."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port, self.db_port = _free_port(), _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_uri = f"mongodb://127.0.0.1:{self.db_port}/?directConnection=true"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "ECOINSPECT_DATA_DIR": str(self.data_dir), "PORT": str(self.port),
               "ECOINSPECT_EMBEDDED_DB_PORT": str(self.db_port), "ECOINSPECT_LOG_JSON": "false",
               "ECOINSPECT_PASSWORD_HASH_PROFILE": "fast",
               "ECOINSPECT_DB_SYNC_ON_COMMIT": "true"}  # the product's default; the crash tests rely on it
        env.pop("MONGODB_URI", None)
        with (self.data_dir / "serve.log").open("ab") as log:
            self.process = subprocess.Popen([str(ECOINSPECT), "serve"], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("serve exited: " + self.log()[-2000:])
            if self.ready():
                return
            time.sleep(0.2)
        raise AssertionError("serve did not become ready in 90 s")

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return (self.data_dir / "serve.log").read_text(errors="replace")

    def db_child(self) -> psutil.Process:
        assert self.process is not None
        children = []
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if "secantus" in " ".join(child.cmdline()):
                    children.append(child)
            except psutil.NoSuchProcess:  # ZombieProcess included: a crashed child not reaped yet
                continue
        assert len(children) == 1, children
        return children[0]

    def kill(self) -> None:
        """SIGKILL the API process only: its database child is left to notice on its own."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.process = None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        # Never leave a database behind, whatever the test did.
        for process in psutil.process_iter(["cmdline"]):
            if str(tmp_path) in " ".join(process.info["cmdline"] or []) and process.pid != os.getpid():
                process.kill()


async def _seed(db_uri: str) -> dict[str, str]:
    """An inspector login, a checklist and a task assigned to the inspector."""
    settings = Settings(password_hash_profile="fast")
    database = Database(db_uri, settings.database_name)
    try:
        await AccountService(database, settings).create_user(
            username="inspector", password=PASSWORD, roles=[Role.INSPECTOR], jurisdictions=["610100"],
            inspector_id=INSPECTOR)
        matter = Matter.model_validate(generator.matters()[0])
        await MatterRepository(database).upsert_many([matter])
        checklist = await ChecklistService(database).create_version(SUPERVISOR, matter=matter.code, title="日常检查",
                                                                    items=ITEMS)
        task = Task(id=f"task-{uuid.uuid4().hex[:8]}", plan_id=None, draw_id="test:faults",
                    credit_code="91610100MF0000001", enterprise_name="测试企业", jurisdiction="610100", stratum="",
                    inspectors=[INSPECTOR], lead=INSPECTOR, status=TaskStatus.ASSIGNED, created_at=datetime.now(UTC))
        await InspectionRepository(database).insert_targeted([task], session=None)
        # The seed must survive the SIGKILLs to come: SecantusDB hands its log to the OS up to ~100 ms
        # after acknowledging a write (j: false), and a SIGKILL within that window loses the write.
        await database.client.admin.command("fsync")
        return {"task_id": task.id, "checklist_id": checklist.id}
    finally:
        await database.client.close()


def _token(base: str) -> str:
    response = httpx.post(f"{base}/auth/token", data={"username": "inspector", "password": PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _op(type_: str, task_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"opId": str(uuid.uuid4()), "type": type_.upper(), "taskId": task_id, "recordId": str(uuid.uuid4()),
            "deviceTime": datetime.now(UTC).isoformat(), "payload": payload,
            "place": {"lat": 34.2, "lon": 108.9, "accuracyM": 10.0}}


def _finding(task_id: str, inspection_id: str, text: str) -> dict[str, Any]:
    return _op("record_finding", task_id, {"inspection_id": inspection_id, "severity": "general",
                                           "violation_type": "exceed_standard", "description": text})


def _body(ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"query": PUSH, "variables": {"i": {"deviceNow": datetime.now(UTC).isoformat(), "ops": ops}}}


def _code(response: httpx.Response) -> str | None:
    body = response.json()
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else body.get("code")


def _hold_port(served: Served) -> socket.socket:
    """Kill the database child and hold its port, so that its restart fails until the port is released."""
    for _ in range(5):
        child = served.db_child()
        child.kill()
        assert wait_gone(child, 30)
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", served.db_port))
            holder.listen()
            return holder
        except OSError:  # the supervisor restarted it first: kill the new one once it serves
            holder.close()
            deadline = time.monotonic() + 30
            while not served.ready():
                assert time.monotonic() < deadline, "the database was not restarted"
                time.sleep(0.1)
    raise AssertionError("could not take the database port after 5 kills")


# --- (a) the database child is killed ------------------------------------------------------------


def test_api_recovers_from_a_database_crash(served: Served) -> None:
    asyncio.run(_seed(served.db_uri))
    token = _token(served.base)
    auth = {"authorization": f"Bearer {token}"}
    assert httpx.post(f"{served.base}/graphql", json={"query": DB_QUERY}, timeout=30).json()["data"]["matters"]

    holder = _hold_port(served)
    try:
        started = time.monotonic()
        ready = httpx.get(f"{served.base}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["code"] == "UNAVAILABLE"
        assert time.monotonic() - started < 3, "readyz must answer within 1 s (3 s allowed on a loaded machine)"

        for request in (
            lambda: httpx.post(f"{served.base}/graphql", json={"query": DB_QUERY}, timeout=30),
            lambda: httpx.post(f"{served.base}/graphql", headers=auth, timeout=30, json=_body(
                [_op("start_task", "task-x", {"checklist_id": "x"})])),
        ):
            started = time.monotonic()
            response = request()
            assert _code(response) == "UNAVAILABLE", response.text
            assert response.headers["retry-after"].isdigit()
            assert time.monotonic() - started < 10, "a request in an outage must fail fast, not after 30 s"

        started = time.monotonic()
        page = httpx.get(f"{served.base}/public", timeout=30)
        assert page.status_code == 503 and page.json()["code"] == "UNAVAILABLE", page.text
        assert page.headers["retry-after"].isdigit()
        assert time.monotonic() - started < 10
    finally:
        holder.close()

    # The port is free again: the supervisor's next attempt brings the database back on it.
    deadline = time.monotonic() + 20
    while not served.ready():
        assert time.monotonic() < deadline, "not serving 20 s after the database could restart"
        time.sleep(0.2)
    assert httpx.post(f"{served.base}/graphql", json={"query": DB_QUERY}, timeout=30).json()["data"]["matters"]

    # A plain crash, nothing in the way: serving again within 10 s (the bound).
    crashed = served.db_child()
    killed_at = time.monotonic()
    crashed.kill()
    assert wait_gone(crashed, 30)
    while not served.ready():
        assert time.monotonic() - killed_at < 10, "not serving again 10 s after the database crashed"
        time.sleep(0.2)
    assert served.db_child().pid != crashed.pid
    response = httpx.post(f"{served.base}/graphql", headers=auth, timeout=30, json={"query": DB_QUERY})
    assert response.json()["data"]["matters"] == [{"code": generator.matters()[0]["code"]}]
    assert "embedded database exited" in served.log()


# --- (b) the server is killed in the middle of sync pushes -----------------------------------------


async def _device(base: str, token: str, task_id: str, inspection_id: str, number: int,
                  results: dict[str, str], sent: list[dict[str, Any]], answered: asyncio.Event) -> None:
    """Pushes batches of new findings until the server goes away."""
    async with httpx.AsyncClient(timeout=60, headers={"authorization": f"Bearer {token}"}) as http:
        for batch_number in range(1000):
            ops = [_finding(task_id, inspection_id, f"设备{number} 批{batch_number} 第{k}条") for k in range(4)]
            sent.extend(ops)
            while True:
                try:
                    response = await http.post(f"{base}/graphql", json=_body(ops))
                except httpx.HTTPError:
                    return  # the server died with this push in flight: no answer for these ops
                if _code(response) not in ("SYNC_BUSY", "UNAVAILABLE"):
                    break
                await asyncio.sleep(0.05)
            assert response.json()["data"], response.text
            payload = response.json()["data"]["syncPush"]
            assert not payload["userErrors"], payload
            for result in payload["results"]:
                results[result["opId"]] = result["status"]
            if batch_number >= 2:
                answered.set()


async def _push_all(base: str, token: str, ops: list[dict[str, Any]]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=60, headers={"authorization": f"Bearer {token}"}) as http:
        for start in range(0, len(ops), 50):
            response = await http.post(f"{base}/graphql", json=_body(ops[start:start + 50]))
            payload = response.json()["data"]["syncPush"]
            assert not payload["userErrors"], payload
            statuses |= {r["opId"]: r["status"] for r in payload["results"]}
    return statuses


async def _log_counts(db_uri: str, task_id: str) -> dict[str, int]:
    """How many log entries each record has, and whether the task's chain is intact."""
    database = Database(db_uri, Settings().database_name)
    try:
        counts: dict[str, int] = {}
        async for entry in database["field_log"].find({"task_id": task_id}, {"record_id": 1}):
            counts[entry["record_id"]] = counts.get(entry["record_id"], 0) + 1
        report = await verify_task(database, task_id)
        assert report.intact, report.problems
        return counts
    finally:
        await database.client.close()


async def _kill_mid_push(served: Served, token: str, task_id: str, inspection_id: str
                         ) -> tuple[dict[str, str], list[dict[str, Any]]]:
    results: dict[str, str] = {}
    sent: list[dict[str, Any]] = []
    answered = asyncio.Event()
    devices = [asyncio.create_task(_device(served.base, token, task_id, inspection_id, n, results, sent, answered))
               for n in range(4)]
    await asyncio.wait_for(answered.wait(), timeout=60)
    await asyncio.sleep(0.3)  # pushes in flight
    served.kill()
    await asyncio.wait_for(asyncio.gather(*devices), timeout=60)
    return results, sent


def test_server_killed_mid_sync_restarts_and_keeps_every_acknowledged_op_once(served: Served) -> None:
    ready = asyncio.run(_seed(served.db_uri))
    task_id = ready["task_id"]
    token = _token(served.base)
    begin = _op("start_task", task_id, {"checklist_id": ready["checklist_id"]})
    response = httpx.post(f"{served.base}/graphql", json=_body([begin]), timeout=30,
                          headers={"authorization": f"Bearer {token}"})
    assert response.json()["data"]["syncPush"]["results"][0]["status"] == "APPLIED", response.text
    child = served.db_child()

    results, sent = asyncio.run(_kill_mid_push(served, token, task_id, begin["recordId"]))
    applied = {op_id for op_id, status in results.items() if status == "APPLIED"}
    assert applied and len(sent) > len(results), "the kill should land while pushes are in flight"
    # The orphaned database child notices that its parent died and stops, releasing the data directory.
    assert wait_gone(child, 30), "the database child outlived its killed parent by 30 s"

    served.start()  # the same command on the same data directory: no lock error
    counts = asyncio.run(_log_counts(served.db_uri, task_id))
    by_op = {op["opId"]: op["recordId"] for op in sent}
    assert all(counts.get(by_op[op_id]) == 1 for op_id in applied), "an acknowledged op is missing"
    assert all(n == 1 for n in counts.values()), "an op was stored twice"

    # The devices send again everything they did not see acknowledged (and, to be sure, all the rest).
    statuses = asyncio.run(_push_all(served.base, _token(served.base), sent))
    assert all(statuses[op_id] == "REPLAYED" for op_id in applied)
    assert set(statuses.values()) <= {"APPLIED", "REPLAYED"}
    counts = asyncio.run(_log_counts(served.db_uri, task_id))
    assert {by_op[op["opId"]] for op in sent} <= set(counts) and all(n == 1 for n in counts.values())
    assert len(counts) == len(sent) + 1  # the findings and the start



# --- (c) the database child is killed right after it acknowledged writes ----------------------------


def test_database_killed_right_after_acknowledging_keeps_every_acknowledged_op(served: Served) -> None:
    ready = asyncio.run(_seed(served.db_uri))
    task_id = ready["task_id"]
    token = _token(served.base)
    auth = {"authorization": f"Bearer {token}"}
    begin = _op("start_task", task_id, {"checklist_id": ready["checklist_id"]})
    ops = [_finding(task_id, begin["recordId"], f"第{n}条") for n in range(12)]
    child = served.db_child()
    for op in [begin, *ops]:  # one op a push: every acknowledgement is a commit of its own
        response = httpx.post(f"{served.base}/graphql", json=_body([op]), headers=auth, timeout=30)
        assert response.json()["data"]["syncPush"]["results"][0]["status"] == "APPLIED", response.text
    child.kill()  # at once: nothing has had time to reach the disk on a schedule of its own
    assert wait_gone(child, 30)
    deadline = time.monotonic() + 20
    while not served.ready():
        assert time.monotonic() < deadline, "not serving again 20 s after the database crashed"
        time.sleep(0.2)
    counts = asyncio.run(_log_counts(served.db_uri, task_id))
    assert {op["recordId"] for op in [begin, *ops]} <= set(counts), "an acknowledged op was lost in the crash"
