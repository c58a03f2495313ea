"""Concurrent load on `ecoinspect serve --demo`: throughput, latency percentiles, errors and the server's RSS.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60]

The real server runs as a subprocess (``ecoinspect serve --demo``: uvicorn, 5,000 demo enterprises, the
embedded SecantusDB as its child) on a fresh ECOINSPECT_DATA_DIR under /tmp and a free port on 127.0.0.1.
Set-up, through the API and untimed: as supervisor1, two Xi'an plans with every stratum at ratio 0.5 are
created, frozen and drawn (so inspector1 holds tasks on enterprises that have other tasks too), an orange
alert is issued over Xi'an and its verification tasks staffed, and a result is recorded on the first plan's
task for each of inspector1's enterprises (so the dossier has past inspections).

Then ``--clients`` clients run at once for ``--seconds``, each with its own httpx.AsyncClient (one keep-alive
connection) and its own token, sending its next request as soon as the previous answer arrives:
- half are inspector1 asking ``myTasks(first: 50)`` with the whole dossier (``MY_TASKS``);
- half are supervisor1 paging ``enterprises(first: 50)`` (``ENTERPRISES``), following ``endCursor`` and
  starting again at the first page after the last.
A request counts as an error when the status is not 200, the body has ``errors`` (counted by
``extensions.code``), or the expected field is missing; a timeout or transport failure counts by its name.
The server process's RSS (the uvicorn process; its database child reported apart) is read after the warm-up,
just before the clients start, and again when they stop; its peak is sampled every 50 ms. CPU seconds of the
server process, its database and this (client) process during the load are reported too: they share the
machine's cores.

Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, emit, free_port, log, machine, percentile, stop_server, temp_dir
from _measure import Cpu, RssSampler

ECOINSPECT = Path(sys.executable).with_name("ecoinspect")
PASSWORD = "ecoinspect-demo"
XIAN = "610100"
RATIO = 0.5  # of Xi'an's ~1,300 demo enterprises; 1.0 needs more inspector-visits than its 39 inspectors give
TARGETS = {"errors": 0, "p95_ms": 1000, "rss_growth_mb": 50}
MY_TASKS = """query MyTasks { myTasks(first: 50) { taskId kind status createdAt enterpriseName
  enterprise { creditCode name address industryCode keyDischarger permit { number } credit { tier }
               performance { grade } decisions { kind outputs rules } events { kind occurredOn } }
  alertMeasures
  pastInspections { taskId result { outcome completedOn } }
  checklist { checklistId title items { itemId text type required } }
  inspection { status } } }"""
ENTERPRISES = """query Enterprises($after: String) { enterprises(first: 50, after: $after) {
  edges { node { creditCode name jurisdiction industryCode keyDischarger onlineMonitoring credit { tier }
                 performance { grade } decisions { kind outputs } } }
  pageInfo { hasNextPage endCursor } } }"""
HEADERS = {"accept": "application/graphql-response+json"}


# --------------------------------------------------------------------------- the server


@contextlib.contextmanager
def served(workdir: Path, timeout_s: float) -> Iterator[tuple[str, int]]:
    """``ecoinspect serve --demo`` on a free loopback port; yields (base URL, pid); stops it with SIGTERM."""
    import httpx

    port = free_port()
    env = {**os.environ, "ECOINSPECT_DATA_DIR": str(workdir / "data"), "PORT": str(port),
           "ECOINSPECT_LOG_JSON": "false",
           # The set-up draws a plan right after freezing it: the announced public event is the freeze itself.
           "ECOINSPECT_DRAW_PUBLIC_INTERVAL_MINUTES": "0", "ECOINSPECT_DRAW_NOTICE_MINUTES": "0",
           "ECOINSPECT_DRAW_RESULT_DELAY_MINUTES": "0"}
    env.pop("MONGODB_URI", None)
    log_path = workdir / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as out:
        process = subprocess.Popen([str(ECOINSPECT), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}:\n"
                                 f"{log_path.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the server was not ready within {timeout_s:.0f}s (log: {log_path})")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2.0).status_code == 200:
                    break
            time.sleep(0.5)
        yield base, process.pid
    finally:
        stop_server(process, timeout_s=60)


def rss_mb(pid: int) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def database_pid(server_pid: int) -> int | None:
    import psutil

    for child in psutil.Process(server_pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any("secantus" in part for part in child.cmdline()):
                return int(child.pid)
    return None


# --------------------------------------------------------------------------- set-up through the API


async def ask(http: Any, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={**HEADERS, "authorization": f"Bearer {token}"})
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise SystemExit(f"set-up failed: {query[:100]} → {response.status_code} {response.text[:500]}")
    return dict(payload["data"])


async def login(http: Any, username: str) -> str:
    response = await http.post("/auth/token", data={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


async def drawn_plan(http: Any, boss: str, name: str, matter: str, *, years_ahead: int = 1) -> str:
    year = datetime.now(UTC).year + years_ahead
    created = await ask(http, boss, "mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { planId } "
                        "userErrors { code message } } }", {"i": {
                            "name": name, "jurisdiction": XIAN, "matters": [matter],
                            "periodStart": f"{year}-01-01", "periodEnd": f"{year}-03-31",
                            "ratios": [{"stratum": s, "ratio": RATIO} for s in ("special", "key", "general")]}})
    plan_id = str(created["createPlan"]["plan"]["planId"])
    for step in ("freezePlan", "drawPlan"):
        value = ', publicValue: "1 2 3 4 5"' if step == "drawPlan" else ""
        done = await ask(http, boss, f"mutation($p: String!) {{ {step}(input: {{planId: $p{value}}}) "
                         "{ userErrors { code message } } }", {"p": plan_id})
        if done[step]["userErrors"]:
            raise SystemExit(f"set-up failed: {step} → {done[step]['userErrors']}")
    return plan_id


async def set_up(base: str) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=600.0) as http:
        boss, inspector = await login(http, "supervisor1"), await login(http, "inspector1")
        matters = [m["code"] for m in (await ask(http, boss, "{ matters { code } }"))["matters"]]
        # This year's: a result is dated within its plan's period.
        first = await drawn_plan(http, boss, "load: earlier plan", matters[0], years_ahead=0)
        await drawn_plan(http, boss, "load: current plan", matters[1 % len(matters)])
        now = datetime.now(UTC)
        alert = await ask(http, boss, "mutation($i: IssueAlertInput!) { issueAlert(input: $i) { alert { alertId } } }",
                          {"i": {"level": "orange", "jurisdictions": [XIAN], "startsAt": now.isoformat(),
                                 "endsAt": (now + timedelta(days=3)).isoformat(), "source": "bench/load.py"}})
        alert_id = alert["issueAlert"]["alert"]["alertId"]
        await ask(http, boss, "mutation($a: String!) { staffAlertTasks(input: {alertId: $a}) { staffed } }",
                  {"a": alert_id})
        mine = (await ask(http, inspector, "{ myTasks(first: 100) { taskId creditCode } }"))["myTasks"]
        codes = {t["creditCode"] for t in mine}
        earlier = (await ask(http, boss, "query($p: String!) { planTasks(planId: $p) { taskId creditCode } }",
                             {"p": first}))["planTasks"]
        recorded = 0
        for task in earlier:
            if task["creditCode"] not in codes:
                continue
            done = await ask(http, boss, "mutation($i: RecordTaskResultInput!) { recordTaskResult(input: $i) "
                             "{ userErrors { code } } }", {"i": {
                                 # Not inspected through sync here: the only result it may have.
                                 "taskId": task["taskId"], "outcome": "NOT_INSPECTED", "summary": "企业停产，无法检查",
                                 "completedOn": now.date().isoformat()}})
            recorded += not done["recordTaskResult"]["userErrors"]
        check = await ask(http, inspector, MY_TASKS)
        page = await ask(http, boss, ENTERPRISES, {"after": None})
        return {"inspector_tasks_seen": len(mine), "my_tasks_returned": len(check["myTasks"]),
                "past_results_recorded": recorded, "enterprises_page": len(page["enterprises"]["edges"]),
                "tokens": {"inspector": inspector, "supervisor": boss}}


# --------------------------------------------------------------------------- the load


class Results:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {"inspector": [], "supervisor": []}
        self.errors: Counter[str] = Counter()
        self.bytes: dict[str, int] = {"inspector": 0, "supervisor": 0}


def _problem(status: int, payload: Any, field: str) -> list[str]:
    if status != 200:
        return [f"HTTP_{status}"]
    if not isinstance(payload, dict):
        return ["NOT_JSON_OBJECT"]
    if payload.get("errors"):
        return [str((e.get("extensions") or {}).get("code") or "NO_CODE") for e in payload["errors"]]
    if (payload.get("data") or {}).get(field) is None:
        return ["NO_DATA"]
    return []


async def client(base: str, kind: str, token: str, end: float, results: Results, timeout_s: float) -> None:
    import httpx

    headers = {**HEADERS, "authorization": f"Bearer {token}"}
    after: str | None = None
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=timeout_s, limits=limits) as http:
        while time.monotonic() < end:
            body = ({"query": MY_TASKS} if kind == "inspector"
                    else {"query": ENTERPRISES, "variables": {"after": after}})
            started = time.perf_counter()
            try:
                response = await http.post("/graphql", json=body, headers=headers)
                results.bytes[kind] += len(response.content)
                payload = response.json()
                problems = _problem(response.status_code, payload, "myTasks" if kind == "inspector" else "enterprises")
            except (httpx.HTTPError, ValueError) as exc:
                problems, payload = [type(exc).__name__], None
            results.latencies[kind].append(time.perf_counter() - started)
            results.errors.update(problems)
            if kind == "supervisor" and not problems:
                info = payload["data"]["enterprises"]["pageInfo"]
                after = info["endCursor"] if info["hasNextPage"] else None


def _summary(latencies: list[float], size: int = 0) -> dict[str, Any]:
    if not latencies:
        return {"requests": 0}
    return {"requests": len(latencies), **({"mean_kb": round(size / len(latencies) / 1024, 1)} if size else {}),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1), "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1)}


async def load(base: str, tokens: dict[str, str], clients: int, seconds: float, timeout_s: float) -> dict[str, Any]:
    results = Results()
    kinds = ["inspector" if n % 2 == 0 else "supervisor" for n in range(clients)]
    started = time.monotonic()
    end = started + seconds
    await asyncio.gather(*(client(base, kind, tokens[kind], end, results, timeout_s) for kind in kinds))
    elapsed = time.monotonic() - started  # the last requests finish after ``end``
    everything = results.latencies["inspector"] + results.latencies["supervisor"]
    return {"elapsed_s": round(elapsed, 1), "throughput_rps": round(len(everything) / elapsed, 1),
            **_summary(everything),
            **{kind: _summary(results.latencies[kind], results.bytes[kind]) for kind in ("inspector", "supervisor")},
            "errors": sum(results.errors.values()), "errors_by_code": dict(results.errors)}


async def warm_up(base: str, tokens: dict[str, str], rounds: int) -> None:
    """Untimed requests of each kind, one at a time; any error stops the bench before the load."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=120.0) as http:
        for _ in range(rounds):
            for kind, body in (("inspector", {"query": MY_TASKS}),
                               ("supervisor", {"query": ENTERPRISES, "variables": {"after": None}})):
                response = await http.post("/graphql", json=body,
                                           headers={**HEADERS, "authorization": f"Bearer {tokens[kind]}"})
                if response.status_code != 200 or response.json().get("errors"):
                    raise SystemExit(f"warm-up failed ({kind}): {response.status_code} {response.text[:500]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients, half of each kind (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests of each kind first (default 5)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="seconds before a request is an error")
    parser.add_argument("--ready-timeout", type=float, default=600.0, help="seconds to wait for the demo server")
    args = parser.parse_args()
    if not 2 <= args.clients <= 500 or not 0 < args.seconds <= 3600 or args.warmup < 0:
        parser.error("--clients must be 2..500, --seconds 0..3600, --warmup not negative")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the server and temp files
    figures: dict[str, Any] = {"benchmark": "load", **machine(), "clients": args.clients, "seconds": args.seconds}
    with temp_dir("ecoinspect-bench-load-") as workdir:
        log("starting ecoinspect serve --demo (loads 5,000 demo enterprises)")
        started = time.monotonic()
        with served(workdir, args.ready_timeout) as (base, pid):
            log(f"ready in {time.monotonic() - started:.0f}s at {base}; setting up plans, alert and results")
            setup = asyncio.run(set_up(base))
            tokens = setup.pop("tokens")
            figures.update(setup)
            log(f"set-up: {setup}")
            asyncio.run(warm_up(base, tokens, args.warmup))
            db_pid = database_pid(pid)
            figures.update({"server_rss_before_mb": rss_mb(pid),
                            "db_rss_before_mb": rss_mb(db_pid) if db_pid else None})
            log(f"{args.clients} clients for {args.seconds:.0f}s")
            cpu, db_cpu = Cpu(pid), Cpu(db_pid)
            cpu.start()
            db_cpu.start()
            with RssSampler(pid) as sampler:
                figures.update(asyncio.run(load(base, tokens, args.clients, args.seconds, args.request_timeout)))
            cpu.stop()
            db_cpu.stop()
            figures.update({"server_rss_after_mb": rss_mb(pid), "server_rss_peak_mb": round(sampler.server_peak, 1),
                            "db_rss_after_mb": rss_mb(db_pid) if db_pid else None,
                            "server_cpu_s": round(cpu.server_s or 0.0, 1),
                            "db_cpu_s": round(db_cpu.server_s, 1) if db_cpu.server_s is not None else None,
                            "client_cpu_s": round(cpu.client_s, 1)})
    figures["rss_growth_mb"] = round(figures["server_rss_after_mb"] - figures["server_rss_before_mb"], 1)
    # CPU per request does not depend on how many cores other jobs leave free, unlike throughput and latency.
    for name in ("server", "db"):
        if figures[f"{name}_cpu_s"] is not None and figures["requests"]:
            figures[f"{name}_cpu_ms_per_request"] = round(figures[f"{name}_cpu_s"] * 1000 / figures["requests"], 1)
    figures["targets"] = TARGETS
    figures["targets_met"] = {"errors": figures["errors"] <= TARGETS["errors"],
                              "p95_ms": figures["p95_ms"] <= TARGETS["p95_ms"],
                              "rss_growth_mb": figures["rss_growth_mb"] <= TARGETS["rss_growth_mb"]}
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
