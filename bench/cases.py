"""The daily deadline job over 100,000 open cases, and a GraphQL page of cases with timelines.

    .venv/bin/python bench/cases.py [--cases 100000] [--flows 60] [--requests 30] [--enterprises 2000]

Everything runs against one fresh embedded SecantusDB child process (or MONGODB_URI) and one database.

Set-up (untimed): the demo registry (``--enterprises``) and logins; ``--flows`` cases walked through
``CaseService`` as the app assembles it (open, filing approval, review, prior notice, decision, service,
publication: 7 hash-chained steps each, on Xi'an enterprises, by inspector1 and supervisor1); then
``--cases`` open cases bulk-inserted with ``CaseRepository.insert_many_cases`` (documents exactly as the
repository stores them, deadlines from ``core.cases.deadlines``), a quarter each waiting for the filing
decision, for the decision, for service and publication, and for payment with an open correction order
(payment, court enforcement, re-inspection deadlines). About a third have their earliest deadline
passed (seeded draws).

a. The deadline job: ``OverdueService.flag_overdue(today)`` once on the fresh collection, timed, with
   this process's RSS (psutil) before and after and its peak sampled every 50 ms, and the server's RSS.
   Then the same day again (every flag already there: nothing written). Baseline in the same run: the
   job's own cursor read raw (same filter and projection, no models), and the flags it wrote inserted
   raw with ``insert_many(batch of 1000, ordered=False)`` into a scratch collection.
b. GraphQL, in-process (httpx.ASGITransport, lifespan run), as supervisor1 (the whole province):
   ``cases(first: 50)`` with deadlines and timelines (``CASES_QUERY``) against ``enterprises(first: 50)``
   with each enterprise's change history (``ENTERPRISES_QUERY``: the same page size, one nested list per
   node through a DataLoader), 5 warm-up requests each, then ``--requests`` of each interleaved; p50 and
   p95. Skipped, with a note, when the schema has no ``cases`` field.

Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import database_name, database_server, emit, log, machine, percentile, temp_dir
from _measure import Cpu, RssSampler

TARGET_JOB_S = 30.0
TARGET_RATIO_P95 = 2.0
SEED = 20260601
BATCH = 1000
CASES_QUERY = ("query($a: String) { cases(first: 50, after: $a) { edges { cursor node { caseId number status "
               "partyName deadlines { name dueOn ref } timeline { seq kind actor at hash } } } "
               "pageInfo { hasNextPage endCursor } } }")
ENTERPRISES_QUERY = ("query($a: String) { enterprises(first: 50, after: $a) { edges { cursor node { creditCode "
                     "name jurisdiction history { version at actor source } } } pageInfo { hasNextPage endCursor } } }")
INSPECTOR = ("inspector1", "SX-610100-0001")
PARTNER = "SX-610100-0002"
SUPERVISOR = "supervisor1"


def _mb(rss: int) -> float:
    return round(rss / 2**20, 1)


# --------------------------------------------------------------------------- set-up


async def walk_flows(services: Any, database: Any, count: int) -> int:
    """``count`` cases through the service, 7 steps each; returns the steps recorded."""
    from core.accounts.models import Role, Viewer
    from core.cases.models import StepKind

    officer = Viewer(username=INSPECTOR[0], roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                     inspector_id=INSPECTOR[1])
    chief = Viewer(username=SUPERVISOR, roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
    codes = [d["credit_code"] for d in await database["enterprises"].find(
        {"jurisdiction_path": "610100"}, {"credit_code": 1}).sort("seq", 1).to_list(count)]
    if len(codes) < count:
        raise SystemExit(f"only {len(codes)} Xi'an enterprises: raise --enterprises")
    today = datetime.now(UTC).date()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    steps = 0
    for n, code in enumerate(codes):
        case_id = str(uuid.uuid4())
        await services.cases.open(officer, {
            "id": case_id, "credit_code": code, "source": "onsite_finding", "officers": [INSPECTOR[1], PARTNER],
            "violations": [{"violation_type": "exceed_standard", "description": "废水总排口化学需氧量超标 2.1 倍"}],
            "discovered_on": ago(60)}, request_id="bench")
        for viewer, kind, data in [
            (chief, StepKind.APPROVE_FILING, {"approved": True, "filed_on": ago(55)}),
            (officer, StepKind.REVIEW, {"outcome": "penalty", "reviewed_on": ago(40), "facts": "COD 超标",
                                        "fines": [{"violation": 0, "fine_fen": (150_000 + 100 * n) * 100}],
                                        "measures": ["correction"]}),
            (officer, StepKind.PRIOR_NOTICE, {"served_on": ago(38), "method": "direct"}),
            (chief, StepKind.DECIDE, {"decided_on": ago(30)}),
            (officer, StepKind.SERVE, {"served_on": ago(29), "method": "direct"}),
            (chief, StepKind.PUBLISH, {"published_on": ago(28)}),
        ]:
            await services.cases.record(viewer, case_id, kind, str(uuid.uuid4()), data, request_id="bench")
        steps += 7
    return steps


def seed_cases(count: int, enterprises: list[dict[str, Any]], rules: Any, rng: random.Random, today: date) -> Any:
    """Open cases in four states, about a third with their earliest deadline passed; yields batches."""
    from core.cases.deadlines import deadlines
    from core.cases.models import (
        Case,
        CaseStatus,
        CorrectionOrder,
        Decision,
        DecisionKind,
        PartyKind,
        SourceKind,
        Violation,
    )

    template = Case(id="x", jurisdiction="610100", credit_code="x", party_name="x",
                    party_kind=PartyKind.ORGANISATION, source=SourceKind.ONSITE_FINDING,
                    violations=[Violation(violation_type="exceed_standard", description="废水化学需氧量超标",
                                          legal_basis="《水污染防治法》第十条、第八十三条")],
                    officers=[INSPECTOR[1], PARTNER], opened_by=INSPECTOR[0], discovered_on=today, opened_on=today,
                    version=1, head_hash="0" * 64)
    batch: list[Any] = []
    for n in range(count):
        enterprise = enterprises[n % len(enterprises)]
        late = rng.random() < 1 / 3
        state = n % 4
        # The earliest deadline of the case: passed for a third of them.
        horizon = (15, 90, 7, 15)[state]
        offset = -rng.randint(1, 60) if late else rng.randint(0, horizon - 1)
        due = today + timedelta(days=offset)
        update: dict[str, Any] = {"id": str(uuid.uuid4()), "credit_code": enterprise["credit_code"],
                                  "party_name": enterprise["name"], "jurisdiction": enterprise["jurisdiction"]}
        if state == 0:  # waiting for the filing decision: due 15 days after the discovery
            discovered = due - timedelta(days=rules.filing_days)
            update |= {"discovered_on": discovered, "opened_on": discovered, "status": CaseStatus.FILING}
        else:
            filed = due - timedelta(days=rules.decision_days) if state == 1 else due - timedelta(days=40)
            update |= {"discovered_on": filed - timedelta(days=5), "opened_on": filed - timedelta(days=4),
                       "filed_on": filed, "filed_by": SUPERVISOR, "number": f"陕环罚〔{filed.year}〕B{n + 1}号",
                       "decision_due": filed + timedelta(days=rules.decision_days),
                       "status": CaseStatus.INVESTIGATING, "version": 4}
        if state == 2:  # decided, neither served nor published: service due 7 days after the decision
            decided = due - timedelta(days=rules.service_days)
            update |= {"status": CaseStatus.DECIDED, "version": 6, "decisions": [Decision(
                id="main", number=update["number"], kind=DecisionKind.PENALTY, fine_fen=15_000_000,
                decided_on=decided, decided_by=SUPERVISOR)]}
        if state == 3:  # served and published, not paid (payment due 15 days after service); an open order
            served = due - timedelta(days=rules.payment_days)
            update |= {"status": CaseStatus.DECIDED, "version": 9, "decisions": [Decision(
                id="main", number=update["number"], kind=DecisionKind.PENALTY, fine_fen=15_000_000,
                decided_on=served - timedelta(days=1), decided_by=SUPERVISOR, served_on=served,
                due_on=served + timedelta(days=rules.payment_days), published_on=served)],
                "orders": [CorrectionOrder(id="order-1", violation=0, ordered_on=served, served_on=served,
                                           correct_by=served + timedelta(days=10),
                                           reinspect_by=due + timedelta(days=rng.randint(0, 30)),
                                           counted_to=served)]}
        case = template.model_copy(update=update)
        batch.append(case.model_copy(update={"deadlines": deadlines(case, rules)}))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- a. the deadline job


async def measure_job(database: Any, server_pid: int | None) -> dict[str, Any]:
    import psutil

    from core.cases.overdue import OverdueService
    from core.cases.repository import CASES, FLAGS

    job = OverdueService(database)
    today = datetime.now(UTC).date()
    server = psutil.Process(server_pid) if server_pid else None
    gc.collect()
    me = psutil.Process()
    rss_before = me.memory_info().rss
    server_before = server.memory_info().rss if server else None
    cpu = Cpu(server_pid)
    log("a. the deadline job: flag_overdue(today)")
    cpu.start()
    with RssSampler(server_pid) as sampler:
        started = time.perf_counter()
        report = await job.flag_overdue(today)
        job_s = time.perf_counter() - started
    cpu.stop()
    gc.collect()
    rss_after = me.memory_info().rss
    log(f"   {report.cases:,} overdue cases, {report.new:,} flagged in {job_s:.1f}s; {report.by_deadline}")
    started = time.perf_counter()
    again = await job.flag_overdue(today)
    rerun_s = time.perf_counter() - started
    log(f"   the same day again: {again.new} new flags in {rerun_s:.1f}s")

    log("   baseline: the job's cursor read raw, and its flags inserted raw")
    started = time.perf_counter()
    scanned = 0
    async for _ in database[CASES].find({"open": True, "next_due": {"$lt": today.isoformat()}},
                                        {"jurisdiction": 1, "deadlines": 1}, batch_size=BATCH):
        scanned += 1
    scan_s = time.perf_counter() - started
    scratch = database["bench_case_flags"]
    insert_s = 0.0
    batch: list[dict[str, Any]] = []
    async for doc in database[FLAGS].find({"day": today.isoformat()}, batch_size=BATCH):
        batch.append(doc)
        if len(batch) == BATCH:
            started = time.perf_counter()
            await scratch.insert_many(batch, ordered=False)
            insert_s += time.perf_counter() - started
            batch = []
    if batch:
        started = time.perf_counter()
        await scratch.insert_many(batch, ordered=False)
        insert_s += time.perf_counter() - started
    await scratch.drop()
    baseline_s = scan_s + insert_s
    log(f"   baseline: scan {scan_s:.1f}s ({scanned:,} documents) + insert_many {insert_s:.1f}s")
    return {
        "overdue_cases": report.cases, "flags_written": report.new, "by_deadline": report.by_deadline,
        "job_s": round(job_s, 2), "target_job_s": TARGET_JOB_S,
        "rerun_same_day_s": round(rerun_s, 2), "rerun_new_flags": again.new,
        "baseline_scan_s": round(scan_s, 2), "baseline_insert_many_s": round(insert_s, 2),
        "ratio_vs_scan_plus_insert_many": round(job_s / baseline_s, 2),
        "rss_before_mb": _mb(rss_before), "rss_after_mb": _mb(rss_after),
        "rss_growth_mb": round(_mb(rss_after) - _mb(rss_before), 1),
        "peak_rss_during_job_mb": round(sampler.peak, 1),
        "peak_rss_growth_mb": round(sampler.peak - _mb(rss_before), 1),
        "server_rss_before_mb": _mb(server_before) if server_before else None,
        "server_peak_rss_during_job_mb": round(sampler.server_peak, 1) if server else None,
        "client_cpu_s": round(cpu.client_s, 2),
        "server_cpu_s": round(cpu.server_s, 2) if cpu.server_s is not None else None,
    }


# --------------------------------------------------------------------------- b. GraphQL


async def measure_graphql(database: Any, settings: Any, requests: int) -> dict[str, Any]:
    import httpx
    from asgi_lifespan import LifespanManager

    from api.app import create_app
    from core.demo.users import DEMO_PASSWORD

    app = create_app(settings, database=database)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://bench",
                              timeout=120.0) as http:
        response = await http.post("/auth/token", data={"username": SUPERVISOR, "password": DEMO_PASSWORD})
        response.raise_for_status()
        headers = {"authorization": f"Bearer {response.json()['access_token']}",
                   "accept": "application/graphql-response+json"}

        async def ask(query: str) -> tuple[float, dict[str, Any]]:
            started = time.perf_counter()
            answer = await http.post("/graphql", json={"query": query, "variables": {"a": None}}, headers=headers)
            seconds = time.perf_counter() - started
            return seconds, {"status": answer.status_code, **answer.json()}

        _, probe = await ask(CASES_QUERY)
        errors = probe.get("errors") or []
        if any("Cannot query field 'cases'" in str(e.get("message")) for e in errors):
            note = "skipped: the schema has no `cases` field in this tree"
            log(f"b. {note}")
            return {"graphql": note}
        edges = ((probe.get("data") or {}).get("cases") or {}).get("edges") or []
        if errors or len(edges) != 50:
            raise SystemExit(f"unexpected cases answer: {str(probe)[:800]}")
        steps_on_page = sum(len(e["node"]["timeline"]) for e in edges)
        _, probe = await ask(ENTERPRISES_QUERY)
        if probe.get("errors") or len(probe["data"]["enterprises"]["edges"]) != 50:
            raise SystemExit(f"unexpected enterprises answer: {str(probe)[:800]}")
        log(f"b. GraphQL: warm-up, then {requests} requests of each, interleaved")
        for _ in range(5):
            await ask(CASES_QUERY)
            await ask(ENTERPRISES_QUERY)
        cases_ms: list[float] = []
        enterprises_ms: list[float] = []
        for _ in range(requests):
            seconds, answer = await ask(CASES_QUERY)
            if answer.get("errors"):
                raise SystemExit(f"cases failed: {str(answer)[:500]}")
            cases_ms.append(seconds * 1000)
            seconds, answer = await ask(ENTERPRISES_QUERY)
            if answer.get("errors"):
                raise SystemExit(f"enterprises failed: {str(answer)[:500]}")
            enterprises_ms.append(seconds * 1000)
    p95, base_p95 = percentile(cases_ms, 95), percentile(enterprises_ms, 95)
    log(f"   cases p95 {p95:.0f} ms, enterprises p95 {base_p95:.0f} ms")
    return {
        "graphql_requests": requests, "cases_page_steps": steps_on_page,
        "cases_p50_ms": round(percentile(cases_ms, 50), 1), "cases_p95_ms": round(p95, 1),
        "enterprises_p50_ms": round(percentile(enterprises_ms, 50), 1), "enterprises_p95_ms": round(base_p95, 1),
        "ratio_p95_vs_enterprises": round(p95 / base_p95, 2), "target_ratio_p95": TARGET_RATIO_P95,
        "ratio_p50_vs_enterprises": round(percentile(cases_ms, 50) / percentile(enterprises_ms, 50), 2),
    }


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from api.app import prepare
    from api.assembly import build_services
    from core.cases.repository import CaseRepository
    from core.config import Settings
    from core.db import Database
    from core.demo.loader import load_demo

    figures: dict[str, Any] = {}
    with database_server(tmp / "server") as server:
        settings = Settings(data_dir=tmp / "server", log_level="WARNING", log_json=False)
        name = database_name("cases")
        database = Database(server.uri, name)
        try:
            await prepare(database)
            started = time.perf_counter()
            log(f"set-up: {args.enterprises:,} demo enterprises")
            await load_demo(database, settings, enterprises=args.enterprises)
            services = build_services(database, settings)
            log(f"set-up: {args.flows} cases through CaseService")
            figures["setup_flow_steps"] = await walk_flows(services, database, args.flows)
            enterprises = await database["enterprises"].find(
                {}, {"_id": 0, "credit_code": 1, "name": 1, "jurisdiction": 1}).to_list()
            log(f"set-up: {args.cases:,} open cases, bulk-inserted")
            repository = CaseRepository(database)
            today = datetime.now(UTC).date()
            for batch in seed_cases(args.cases, enterprises, services.cases.rules, random.Random(SEED), today):
                await repository.insert_many_cases(batch)
            figures["setup_s"] = round(time.perf_counter() - started, 1)
            figures["open_cases"] = await database["cases"].count_documents({"open": True})
            log(f"set-up: done in {figures['setup_s']:.0f}s ({figures['open_cases']:,} open cases)")
            figures.update(await measure_job(database, server.pid))
            figures.update(await measure_graphql(database, settings, args.requests))
        finally:
            if os.environ.get("MONGODB_URI"):
                await database.client.drop_database(name)
            await database.client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="open cases bulk-inserted (default 100,000)")
    parser.add_argument("--flows", type=int, default=60, help="cases walked through the service (default 60)")
    parser.add_argument("--requests", type=int, default=30, help="timed GraphQL requests of each query (default 30)")
    parser.add_argument("--enterprises", type=int, default=2000, help="demo enterprises (default 2,000)")
    args = parser.parse_args()
    if args.cases < 0 or args.flows < 50 or args.requests < 1:
        parser.error("--cases must not be negative, --flows at least 50 (one page), --requests at least 1")
    # A plain SIGTERM would skip the clean-up (server, temp files); make it an exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from api import logs

    logs.configure("WARNING", as_json=False)
    wall = time.perf_counter()
    figures: dict[str, Any] = {"benchmark": "cases", **machine(),
                               "server": "MongoDB (MONGODB_URI)" if os.environ.get("MONGODB_URI")
                               else "SecantusDB (embedded child process)", "cases": args.cases}
    with temp_dir("ecoinspect-bench-cases-") as tmp:
        figures.update(asyncio.run(run(args, tmp)))
    figures["wall_s"] = round(time.perf_counter() - wall, 1)
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
