"""GraphQL request latency against a REST peer and a plain Starlette app, and database round trips per request.

    .venv/bin/python bench/api.py [--requests 500] [--audit-requests 2000] [--only-audit | --no-audit]

1. Latency: the app (demo data, 5,000 enterprises), its REST peer (bench/_rest_peer.py: one Starlette
   route that checks the same token and makes the same two pymongo reads on the same database, and
   answers with the same JSON) and a one-route plain Starlette app with no database each run under
   uvicorn in their own subprocess on 127.0.0.1; the app and the peer share one database server.
   After a warm-up, N sequential authenticated POSTs of a small query go to the app, N GETs of
   ``/enterprises?first=10`` with the same headers to the peer and N POSTs with the same body and
   headers to the plain app, interleaved one by one so that background load hits all alike, each
   over one keep-alive httpx connection. The peer's first answer must equal the app's.
2. Round trips: the app runs in-process over httpx.ASGITransport with a pymongo
   CommandListener on its client; the commands started while serving ``enterprises(first: 10)``
   and ``enterprises(first: 100)`` are counted (handshake/heartbeat commands ignored).
3. Audit cost: a mutation in-process over httpx.ASGITransport, in alternating blocks with
   request-level auditing on (entries queued, written and chained by the writer task) and off
   (``AuditService.enabled = False``, the benchmark's switch), in the same run on the same app;
   blocks last four writer intervals, and each "on" block is followed by an untimed flush, so an
   "off" block never pays for entries of the block before. Two mutations: ``updateEnterprise``
   (its service also keeps its own audit record, which the writer chains) and ``recordComplaint``
   (its service keeps none). Target: p50 difference at most 1 ms. The median over neighbouring
   block pairs of the difference of their medians is printed too: it is less moved by bursts of
   load from other processes.

Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    database_name,
    database_server,
    emit,
    free_port,
    log,
    machine,
    percentile,
    stop_server,
    temp_dir,
)
from _rest_peer import serve_rest

TARGET_RATIO_P50 = 2.0
TARGET_RATIO_P50_VS_REST_PEER = 1.5
TARGET_AUDIT_P50_MS = 1.0
AUDIT_BLOCK_INTERVALS = 4  # each on/off block lasts four intervals of the audit writer
DEMO_ENTERPRISES = 5000
USERNAME = "supervisor1"
QUERY = "{ viewer { username } enterprises(first: %d) { edges { node { creditCode name } } } }"
IGNORED_COMMANDS = {"hello", "ismaster", "ping", "endsessions", "saslstart", "saslcontinue"}


# --------------------------------------------------------------------------- servers (subprocesses)


def serve_app() -> None:
    """The application as ``ecoinspect serve --demo`` runs it, with 5,000 demo enterprises."""
    import uvicorn

    from api import logs
    from api.app import create_app
    from core.config import Settings
    from core.db import Database
    from core.demo.loader import load_demo

    settings = Settings()
    logs.configure(settings.log_level, as_json=settings.log_json)

    async def on_ready(database: Database) -> None:
        print(await load_demo(database, settings, enterprises=DEMO_ENTERPRISES), file=sys.stderr, flush=True)

    app = create_app(settings, on_ready=on_ready)
    uvicorn.run(app, host="127.0.0.1", port=settings.port, log_config=None, access_log=False, lifespan="on")


def serve_plain() -> None:
    """The baseline: one Starlette route that reads the body and returns a small JSON object."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def answer(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"data": {"ok": True}})

    async def ready(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    app = Starlette(routes=[Route("/", answer, methods=["POST"]), Route("/readyz", ready)])
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None, access_log=False,
                lifespan="on")


@contextlib.contextmanager
def server_process(kind: str, env: dict[str, str], log_path: Path, timeout_s: float) -> Iterator[str]:
    """Start ``--serve kind`` in a subprocess, wait for /readyz, yield its base URL, stop it."""
    import httpx

    port = free_port()
    env = {**os.environ, **env, "PORT": str(port)}
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as out:
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", kind],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{kind} server exited with {process.returncode}:\n"
                                 f"{log_path.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{kind} server not ready within {timeout_s:.0f}s (log: {log_path})")
            try:
                if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        yield base
    finally:
        stop_server(process, timeout_s=30)


# --------------------------------------------------------------------------- latency


def measure_latency(requests: int, warmup: int, tmp: Path, timeout_s: float) -> dict[str, Any]:
    import httpx

    app_database = database_name("api")
    # The app and its REST peer read one database on one server; the secret is shared so the peer checks the
    # app's tokens.
    with database_server(tmp / "latency") as server:
        shared = {"MONGODB_URI": server.uri, "ECOINSPECT_DATABASE_NAME": app_database,
                  "ECOINSPECT_SECRET_KEY": secrets.token_urlsafe(48), "ECOINSPECT_LOG_LEVEL": "WARNING"}
        env = {**shared, "ECOINSPECT_DATA_DIR": str(tmp / "app-data")}
        log(f"starting the app under uvicorn (demo data: {DEMO_ENTERPRISES:,} enterprises)")
        with server_process("app", env, tmp / "app.log", timeout_s) as app_url, \
                server_process("rest", shared, tmp / "rest.log", timeout_s) as rest_url, \
                server_process("plain", {}, tmp / "plain.log", timeout_s) as plain_url, \
                httpx.Client(base_url=app_url, timeout=30.0) as app_client, \
                httpx.Client(base_url=rest_url, timeout=30.0) as rest_client, \
                httpx.Client(base_url=plain_url, timeout=30.0) as plain_client:
            log(f"app at {app_url}, REST peer at {rest_url}, plain Starlette at {plain_url}")
            figures = _interleave(requests, warmup, app_client, rest_client, plain_client)
        if os.environ.get("MONGODB_URI"):
            from pymongo import MongoClient

            with MongoClient(os.environ["MONGODB_URI"]) as client:
                client.drop_database(app_database)
    return figures


def _interleave(requests: int, warmup: int, app_client: Any, rest_client: Any, plain_client: Any) -> dict[str, Any]:
    """N requests to each of the three servers, interleaved one by one; their percentiles and ratios."""
    import httpx

    response = app_client.post("/auth/token", data={"username": USERNAME, "password": _demo_password()})
    response.raise_for_status()
    headers = {"authorization": f"Bearer {response.json()['access_token']}",
               "accept": "application/graphql-response+json"}
    body = {"query": QUERY % 10}

    def app() -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        answer = app_client.post("/graphql", json=body, headers=headers)
        return time.perf_counter() - started, answer

    def rest() -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        answer = rest_client.get("/enterprises", params={"first": 10}, headers=headers)
        return time.perf_counter() - started, answer

    def plain() -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        answer = plain_client.post("/", json=body, headers=headers)
        return time.perf_counter() - started, answer

    _, first = app()
    payload = first.json()
    edges = payload.get("data", {}).get("enterprises", {}).get("edges", [])
    if first.status_code != 200 or payload.get("errors") or len(edges) != 10:
        raise SystemExit(f"unexpected GraphQL answer: {first.status_code} {first.text[:500]}")
    _, peer = rest()
    if peer.status_code != 200 or peer.json() != payload:
        raise SystemExit(f"the REST peer answers differently: {peer.status_code} {peer.text[:500]} "
                         f"vs {first.text[:500]}")
    log(f"warm-up: {warmup} requests to each")
    for _ in range(warmup):
        app()
        rest()
        plain()
    log(f"measuring {requests} sequential requests to each (interleaved)")
    times: dict[str, list[float]] = {"app": [], "rest": [], "plain": []}
    bad = 0
    for _ in range(requests):
        for kind, call in (("app", app), ("rest", rest), ("plain", plain)):
            seconds, answer = call()
            times[kind].append(seconds)
            bad += answer.status_code != 200 or b'"errors"' in answer.content
    if bad:
        raise SystemExit(f"{bad} requests failed during the measurement")
    ms = 1000.0
    figures: dict[str, Any] = {"requests": requests, "warmup": warmup}
    for kind, prefix in (("app", ""), ("rest", "rest_peer_"), ("plain", "plain_")):
        values = times[kind]
        figures.update({f"{prefix}p50_ms": round(percentile(values, 50) * ms, 3),
                        f"{prefix}p95_ms": round(percentile(values, 95) * ms, 3),
                        f"{prefix}p99_ms": round(percentile(values, 99) * ms, 3),
                        f"{prefix}mean_ms": round(sum(values) / len(values) * ms, 3)})
    for peer, label in (("plain_", "plain"), ("rest_peer_", "rest_peer")):
        for q in ("p50", "p95"):
            figures[f"ratio_{q}_vs_{label}"] = round(figures[f"{q}_ms"] / figures[f"{peer}{q}_ms"], 3)
    figures["target_ratio_p50"] = TARGET_RATIO_P50
    figures["target_ratio_p50_vs_rest_peer"] = TARGET_RATIO_P50_VS_REST_PEER
    log(f"p50: GraphQL {figures['p50_ms']} ms, REST peer {figures['rest_peer_p50_ms']} ms, plain "
        f"{figures['plain_p50_ms']} ms: ratio vs REST peer {figures['ratio_p50_vs_rest_peer']} (target <= "
        f"{TARGET_RATIO_P50_VS_REST_PEER}), vs plain {figures['ratio_p50_vs_plain']}")
    return figures


def _demo_password() -> str:
    from core.demo.users import DEMO_PASSWORD

    return DEMO_PASSWORD


# --------------------------------------------------------------------------- round trips


async def measure_round_trips(tmp: Path) -> dict[str, Any]:
    import httpx
    from asgi_lifespan import LifespanManager
    from pymongo import monitoring

    from api.app import create_app, prepare
    from core.config import Settings
    from core.db import Database
    from core.demo.loader import load_demo
    from core.demo.users import DEMO_PASSWORD

    class CommandCounter(monitoring.CommandListener):
        def __init__(self) -> None:
            self.names: list[str] = []
            self.micros = 0  # time the counted commands took, as the driver saw it

        def clear(self) -> None:
            self.names.clear()
            self.micros = 0

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            if event.command_name.lower() not in IGNORED_COMMANDS:
                # With the collection: a third find on `users` is the account cache expiring (5 s), not the page.
                target = event.command.get(event.command_name)
                self.names.append(f"{event.command_name} {target}" if isinstance(target, str) else event.command_name)

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            if event.command_name.lower() not in IGNORED_COMMANDS:
                self.micros += event.duration_micros

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            if event.command_name.lower() not in IGNORED_COMMANDS:
                self.micros += event.duration_micros

    counter = CommandCounter()
    figures: dict[str, Any] = {}
    with database_server(tmp / "round-trips") as server:
        uri = server.uri
        settings = Settings(data_dir=tmp / "round-trips", log_level="WARNING", log_json=False)
        name = database_name("api_rt")
        database = Database(uri, name, event_listeners=[counter])
        try:
            await prepare(database)
            log(f"round trips: loading {DEMO_ENTERPRISES:,} demo enterprises in-process")
            await load_demo(database, settings, enterprises=DEMO_ENTERPRISES)
            app = create_app(settings, database=database)
            async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app),
                                      base_url="http://bench") as http:
                response = await http.post("/auth/token",
                                           data={"username": USERNAME, "password": DEMO_PASSWORD})
                response.raise_for_status()
                headers = {"authorization": f"Bearer {response.json()['access_token']}",
                           "accept": "application/graphql-response+json"}
                # The login's audit entry (and the demo's pending ones) are written now, not by the writer task
                # in the middle of a counted request: an answered query records nothing itself.
                await app.app.state.services.audit.flush()
                for first in (10, 100):
                    counts, db_ms, total_ms = [], [], []
                    for _ in range(3):  # the first call may warm caches; all three are reported
                        counter.clear()
                        started = time.perf_counter()
                        answer = await http.post("/graphql", json={"query": QUERY % first}, headers=headers)
                        total_ms.append(round((time.perf_counter() - started) * 1000, 1))
                        names = list(counter.names)
                        db_ms.append(round(counter.micros / 1000, 1))
                        payload = answer.json()
                        edges = payload.get("data", {}).get("enterprises", {}).get("edges", [])
                        if answer.status_code != 200 or payload.get("errors") or len(edges) != first:
                            raise SystemExit(f"unexpected answer for first: {first}: {answer.text[:500]}")
                        counts.append(len(names))
                    figures[f"db_round_trips_first_{first}"] = counts[-1]
                    figures[f"db_round_trips_first_{first}_runs"] = counts
                    figures[f"db_commands_first_{first}"] = dict(collections.Counter(names))
                    figures[f"in_process_ms_first_{first}_runs"] = total_ms
                    figures[f"db_command_ms_first_{first}_runs"] = db_ms
                    log(f"enterprises(first: {first}): {counts} commands per request "
                        f"({dict(collections.Counter(names))}); request {total_ms} ms, "
                        f"of which database commands {db_ms} ms")
        finally:
            if os.environ.get("MONGODB_URI"):
                await database.client.drop_database(name)
            await database.client.close()
    return figures


# --------------------------------------------------------------------------- audit cost


UPDATE_ENTERPRISE = """mutation($input: UpdateEnterpriseInput!) { updateEnterprise(input: $input) {
  enterprise { version } userErrors { code } } }"""
RECORD_COMPLAINT = """mutation($input: ComplaintInput!) { recordComplaint(input: $input) {
  replayed userErrors { code } } }"""


async def _alternate(mutate: Callable[[], Awaitable[float]], audit: Any, requests: int) -> dict[str, float]:
    """``requests`` calls of ``mutate`` in blocks of ``AUDIT_BLOCK_INTERVALS`` writer intervals, auditing on and
    off alternately; p50s and their differences in ms.

    An "on" block pays for the writer's flushes during it (several, as in steady traffic); what is still queued
    when it ends is flushed untimed, so the "off" block after it pays nothing for it (at most one interval's
    entries of each "on" block go unpaid for). The services' own records, written in both modes, are chained
    by the writer during "on" blocks only: they are charged to auditing, as they should be.
    """
    for _ in range(20):
        await mutate()
    await audit.flush()
    timings: dict[bool, list[float]] = {True: [], False: []}
    blocks: dict[bool, list[float]] = {True: [], False: []}  # each block's median
    on = True
    while len(timings[True]) + len(timings[False]) < requests:
        audit.enabled = on
        block: list[float] = []
        ends = time.perf_counter() + AUDIT_BLOCK_INTERVALS * audit.interval_s
        while time.perf_counter() < ends and len(timings[True]) + len(timings[False]) + len(block) < requests:
            block.append(await mutate())
        timings[on] += block
        blocks[on].append(percentile(block, 50))
        if on:
            await audit.flush()  # untimed: the next "off" block pays nothing for this one
        on = not on
    audit.enabled = True
    ms = 1000.0
    on_p50, off_p50 = percentile(timings[True], 50) * ms, percentile(timings[False], 50) * ms
    # Less moved by bursts of load from elsewhere: the median, over neighbouring on/off blocks, of the difference
    # of their medians.
    paired = statistics.median(a - b for a, b in zip(blocks[True], blocks[False], strict=False)) * ms
    return {"on_p50_ms": round(on_p50, 3), "off_p50_ms": round(off_p50, 3),
            "p50_difference_ms": round(on_p50 - off_p50, 3), "paired_block_median_difference_ms": round(paired, 3),
            "on_p95_ms": round(percentile(timings[True], 95) * ms, 3),
            "off_p95_ms": round(percentile(timings[False], 95) * ms, 3), "requests_on": len(timings[True]),
            "requests_off": len(timings[False]), "blocks": len(blocks[True]) + len(blocks[False])}


async def measure_audit(tmp: Path, requests: int) -> dict[str, Any]:
    """The audit cost for two mutations: updateEnterprise, whose service also keeps its own audit record (written
    pending in its transaction, chained by the writer), and recordComplaint, whose service keeps none."""
    import csv
    import uuid

    import httpx
    from asgi_lifespan import LifespanManager

    from api.app import create_app, prepare
    from core.accounts.models import Role
    from core.accounts.service import AccountService
    from core.config import Settings
    from core.db import Database
    from core.registry.credit_code import complete
    from core.registry.importing import import_enterprises
    from core.registry.rows import ENTERPRISE_COLUMNS

    password = "bench-audit-password"
    code = complete("91610100MA0009999")
    figures: dict[str, Any] = {"audit_block_intervals": AUDIT_BLOCK_INTERVALS,
                               "audit_target_p50_difference_ms": TARGET_AUDIT_P50_MS}
    with database_server(tmp / "audit") as server:
        settings = Settings(data_dir=tmp / "audit", log_level="WARNING", log_json=False,
                            password_hash_profile="fast")
        name = database_name("api_audit")
        database = Database(server.uri, name)
        try:
            await prepare(database)
            await AccountService(database, settings).create_user(
                username="bench_supervisor", password=password, roles=[Role.SUPERVISOR], jurisdictions=["610100"])
            seed = tmp / "audit-seed.csv"
            with seed.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
                writer.writeheader()
                writer.writerow({"credit_code": code, "name": "基准企业", "jurisdiction": "610100",
                                 "industry_code": "3011", "lon": "108.9", "lat": "34.2"})
            await import_enterprises(database, seed, actor="bench")
            app = create_app(settings, database=database)
            async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://bench") as http:
                audit = app.app.state.services.audit
                response = await http.post("/auth/token", data={"username": "bench_supervisor", "password": password})
                response.raise_for_status()
                headers = {"authorization": f"Bearer {response.json()['access_token']}",
                           "accept": "application/graphql-response+json"}
                version = 1

                async def call(query: str, variables: dict[str, Any], field: str) -> tuple[float, dict[str, Any]]:
                    started = time.perf_counter()
                    answer = await http.post("/graphql", json={"query": query, "variables": variables},
                                             headers=headers)
                    seconds = time.perf_counter() - started
                    payload = answer.json()["data"][field]
                    if payload["userErrors"]:
                        raise SystemExit(f"unexpected refusal: {payload}")
                    return seconds, payload

                async def update_enterprise() -> float:
                    nonlocal version
                    seconds, payload = await call(UPDATE_ENTERPRISE, {"input": {
                        "creditCode": code, "version": version, "address": f"地址 {version}"}}, "updateEnterprise")
                    version = payload["enterprise"]["version"]
                    return seconds

                async def record_complaint() -> float:
                    seconds, _ = await call(RECORD_COMPLAINT, {"input": {
                        "complaintId": str(uuid.uuid4()), "channel": "web", "jurisdiction": "610100",
                        "receivedAt": datetime.now(UTC).isoformat(), "content": "夜间异味"}}, "recordComplaint")
                    return seconds

                for label, mutate in (("update_enterprise", update_enterprise), ("record_complaint", record_complaint)):
                    log(f"audit: {label}: warm-up, then {requests} mutations in blocks of {AUDIT_BLOCK_INTERVALS} "
                        f"writer intervals ({audit.interval_s} s), auditing on and off alternately")
                    found = await _alternate(mutate, audit, requests)
                    figures.update({f"audit_{label}_{key}": value for key, value in found.items()})
                    log(f"audit: {label}: p50 {found['on_p50_ms']:.3f} ms with auditing, {found['off_p50_ms']:.3f} ms "
                        f"without: difference {found['p50_difference_ms']:+.3f} ms (target <= {TARGET_AUDIT_P50_MS} "
                        f"ms); median of block-pair differences {found['paired_block_median_difference_ms']:+.3f} ms")
                figures["audit_entries_recorded"] = await database["audit"].count_documents(
                    {"source": "graphql", "outcome": "ok"})
                figures["audit_writer_interval_s"] = audit.interval_s
        finally:
            if os.environ.get("MONGODB_URI"):
                await database.client.drop_database(name)
            await database.client.close()
    return figures


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500,
                        help="timed requests to each server (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests to each server first")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for a server to be ready")
    parser.add_argument("--audit-requests", type=int, default=2000,
                        help="timed calls of each mutation for the audit cost, half with auditing on (default 2000)")
    parser.add_argument("--only-audit", action="store_true", help="measure the audit cost only")
    parser.add_argument("--no-audit", action="store_true", help="skip the audit cost")
    parser.add_argument("--serve", choices=["app", "rest", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "app":
        serve_app()
        return
    if args.serve == "rest":
        serve_rest()
        return
    if args.serve == "plain":
        serve_plain()
        return
    # A plain SIGTERM would skip the clean-up (servers, temp files); make it an exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.requests < 1 or args.warmup < 0 or args.audit_requests < 100:
        parser.error("--requests must be at least 1, --warmup not negative, --audit-requests at least 100")

    figures: dict[str, Any] = {"benchmark": "api", **machine(),
                               "server": "MongoDB (MONGODB_URI)" if os.environ.get("MONGODB_URI")
                               else "SecantusDB (embedded child process)",
                               "query": QUERY % 10}
    with temp_dir("ecoinspect-bench-api-") as tmp:
        if not args.only_audit:
            figures.update(measure_latency(args.requests, args.warmup, tmp, args.timeout))
            figures.update(asyncio.run(measure_round_trips(tmp)))
            figures["round_trips_equal"] = (figures["db_round_trips_first_10"]
                                            == figures["db_round_trips_first_100"])
        if not args.no_audit:
            figures.update(asyncio.run(measure_audit(tmp, args.audit_requests)))
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
