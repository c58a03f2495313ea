"""Draw throughput: object sampling on 3M objects, inspector assignment, and a 100k draw end to end.

    .venv/bin/python bench/draw.py [--objects 3000000] [--tasks 50000] [--inspectors 45000]
                                   [--enterprises 100000]

1. Sampling: a population of N objects (3 supervision classes as strata × 4 credit tiers as
   weights) built with numpy; ``draw_s`` is the median of 5 timed ``sampling.draw_indices``
   calls after one warm-up, compared with the median of 5 ``Generator(PCG64).random(N)`` calls
   in the same process (``ratio_vs_uniform_floats``, target ≤ 10).
2. Assignment: ``assignment.assign`` for T tasks over I inspectors in the 13 Shaanxi divisions
   under the province (plus 2% province-level staff); each inspector has ~3 recusals and a few
   "visited" enterprises among the tasks of their division (target ≤ 3 s, median of 3).
3. Protocol v2 (docs/draw-spec.md), pure functions: ``keys_v2_s`` is the time to compute every
   member's key ``SHA-256(seed ‖ n ‖ credit code)`` for N members, ``pips_v2_s`` the whole object
   draw (keys, sort, π design, systematic selection) for N members in 3 strata with exact integer
   arithmetic, one run each after a warm-up on N/10 (target together ≤ 10 s on one core).
4. End to end: an embedded SecantusDB child process, E demo enterprises and their inspectors
   imported, then create plan + ``DrawService.freeze`` + ``DrawService.draw`` (tasks included) for a
   province-wide plan, timed from the client (target ≤ 15 s for 100,000). The announced public event
   is the freeze itself (interval, notice and delay 0), so the draw follows at once.

Progress goes to stderr; the last line of stdout is one JSON object with every figure. Nothing
here asserts a time: the targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import resource
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from _common import database_name, database_server, emit, log, machine, temp_dir

from scheduler import assignment, pips, randomness, sampling

SEED = hashlib.sha256(b"ecoinspect-bench-draw").hexdigest()
CLASSES = ("general", "key", "special")  # the labels, in canonical (sorted) order
CLASS_SHARES = (0.80, 0.17, 0.03)
TIER_WEIGHTS = (0.5, 1.0, 2.0, 3.0)  # green, blue, yellow, red (PlanSettings defaults)
TIER_SHARES = (0.55, 0.35, 0.07, 0.03)
RATIOS = {"special": 1.0, "key": 0.25, "general": 0.05}  # PlanSettings defaults
PROVINCE = "610000"
TARGET_DRAW_RATIO = 10.0
TARGET_ASSIGN_S = 3.0


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _median_time(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


# --------------------------------------------------------------------------- 1. sampling


def bench_sampling(objects: int) -> dict[str, Any]:
    log(f"sampling: building a {objects:,}-object population with numpy")
    rng = np.random.default_rng(20270101)
    started = time.perf_counter()
    ids = np.char.add("91610000", np.char.zfill(np.arange(objects).astype("U10"), 10))  # sorted by construction
    codes = rng.choice(len(CLASSES), size=objects, p=CLASS_SHARES).astype(np.int32)
    weights = np.asarray(TIER_WEIGHTS)[rng.choice(len(TIER_WEIGHTS), size=objects, p=TIER_SHARES)]
    population = sampling.Population(ids=ids, codes=codes, labels=list(CLASSES), weights=weights)
    build_s = time.perf_counter() - started
    sizes = population.sizes()
    quotas = sampling.quotas(sizes, RATIOS)
    log(f"sampling: built in {build_s:.1f}s; sizes {sizes}; quotas {quotas}")

    drawn = sampling.draw_indices(population, quotas, SEED)  # warm-up
    if {k: len(v) for k, v in drawn.items()} != quotas:
        raise SystemExit(f"draw_indices returned {({k: len(v) for k, v in drawn.items()})}, expected {quotas}")
    draw_s, draw_runs = _median_time(lambda: sampling.draw_indices(population, quotas, SEED), 5)
    seed_int = randomness.substream(SEED, "objects")
    floats_s, floats_runs = _median_time(
        lambda: np.random.Generator(np.random.PCG64(seed_int)).random(objects), 5)
    log(f"sampling: draw_indices {draw_s:.3f}s (median of 5), uniform floats {floats_s:.4f}s")
    return {
        "objects": objects,
        "stratum_sizes": sizes,
        "quotas": quotas,
        "population_build_s": round(build_s, 2),
        "draw_s": round(draw_s, 4),
        "draw_runs_s": [round(t, 4) for t in draw_runs],
        "uniform_floats_s": round(floats_s, 4),
        "uniform_floats_runs_s": [round(t, 4) for t in floats_runs],
        "ratio_vs_uniform_floats": round(draw_s / floats_s, 2),
        "target_ratio_vs_uniform_floats": TARGET_DRAW_RATIO,
        "peak_rss_mb": round(_rss_peak_mb(), 1),
    }


# --------------------------------------------------------------------------- 2. assignment


def bench_assignment(task_count: int, inspector_count: int) -> dict[str, Any]:
    from core.reference import tables

    cities = sorted(code for code, division in tables.divisions().items() if division.parent == PROVINCE)
    log(f"assignment: {task_count:,} tasks, {inspector_count:,} inspectors over {len(cities)} divisions")
    rng = random.Random(20270102)
    day = date(2027, 1, 4)
    tasks = [assignment.TaskSlot(f"91610000{i:010d}", (rng.choice(cities), PROVINCE)) for i in range(task_count)]
    by_city: dict[str, list[str]] = {city: [] for city in cities}
    for slot in tasks:
        by_city[slot.jurisdiction_path[0]].append(slot.object_id)
    all_ids = [slot.object_id for slot in tasks]
    candidates = []
    province_level = 0
    for serial in range(inspector_count):
        if rng.random() < 0.02:
            jurisdiction, pool = PROVINCE, all_ids
            province_level += 1
        else:
            jurisdiction = rng.choice(cities)
            pool = by_city[jurisdiction] or all_ids
        candidates.append(assignment.Candidate(
            staff_id=f"SX-{jurisdiction}-{serial:06d}", jurisdictions=(jurisdiction,),
            certificate_expires=day + timedelta(days=rng.randint(-60, 3 * 365) if rng.random() < 0.05
                                                else rng.randint(30, 3 * 365)),
            on_post=rng.random() >= 0.03,
            conflicts=frozenset(rng.sample(pool, min(3, len(pool)))),
            visited=frozenset(rng.sample(pool, min(rng.randint(1, 4), len(pool))))))
    results: list[assignment.Assignment] = []

    def once() -> None:
        results.append(assignment.assign(tasks, candidates, seed_hex=SEED, on=day, team_size=2))

    assign_s, runs = _median_time(once, 3)
    result = results[-1]
    loads = list(result.loads.values())
    log(f"assignment: {assign_s:.2f}s (median of 3); {len(result.teams):,} staffed, "
        f"{len(result.unstaffed):,} unstaffed")
    return {
        "assign_tasks": task_count,
        "assign_inspectors": inspector_count,
        "assign_province_level_inspectors": province_level,
        "assign_eligible_inspectors": len(result.loads),
        "assign_s": round(assign_s, 3),
        "assign_runs_s": [round(t, 3) for t in runs],
        "assign_staffed": len(result.teams),
        "assign_unstaffed": len(result.unstaffed),
        "assign_load_min_max": [min(loads), max(loads)] if loads else None,
        "target_assign_s": TARGET_ASSIGN_S,
    }


# --------------------------------------------------------------------------- 3. protocol v2


def bench_protocol_v2(objects: int) -> dict[str, Any]:
    """Keys and the systematic πps draw of protocol v2 on ``objects`` members (stdlib only, one core)."""
    rng = random.Random(7)
    units = [int(w * 1_000_000) for w in TIER_WEIGHTS]
    rows = [(f"9161{i:013d}X", rng.choices(CLASSES, CLASS_SHARES)[0], rng.choices(units, TIER_SHARES)[0])
            for i in range(objects)]
    seed = bytes.fromhex(SEED)
    sizes = dict.fromkeys(CLASSES, 0)
    for _, label, _ in rows:
        sizes[label] += 1
    quotas = {label: pips.quota(size, pips.parse_ratio(pips.ratio_text(RATIOS[label]))) for label, size in
              sizes.items()}
    warm = rows[: max(1, objects // 10)]
    pips.draw(warm, dict.fromkeys(CLASSES, 1), seed=seed)
    log(f"protocol v2: keys for {objects:,} members")
    started, cpu = time.perf_counter(), time.process_time()
    prefix = pips.key_prefix(seed, 0)
    sha = hashlib.sha256
    keys = [sha(prefix + code.encode()).digest() for code, _, _ in rows]
    keys_s, keys_cpu = time.perf_counter() - started, time.process_time() - cpu
    del keys
    log(f"protocol v2: πps draw of {objects:,} members, quotas {quotas}")
    started, cpu = time.perf_counter(), time.process_time()
    drawn = pips.draw(rows, quotas, seed=seed)
    pips_s, pips_cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds too: on a shared machine the wall clock also counts the time other processes held the core.
    return {"v2_members": objects, "keys_v2_s": round(keys_s, 3), "keys_v2_cpu_s": round(keys_cpu, 3),
            "pips_v2_s": round(pips_s, 3), "pips_v2_cpu_s": round(pips_cpu, 3),
            "v2_drawn": sum(len(v) for v in drawn.values()), "v2_target_s": 10.0,
            "v2_object_algorithm": pips.ALGORITHM}


# --------------------------------------------------------------------------- 4. end to end


async def _end_to_end(uri: str, name: str, enterprises: int) -> dict[str, Any]:
    from api.app import prepare
    from api.assembly import build_services
    from core.accounts.models import Role, Viewer
    from core.config import Settings
    from core.db import Database
    from core.demo import generator
    from core.registry.importing import EnterpriseImporter, import_inspector_rows
    from core.registry.models import Matter
    from core.registry.repository import MatterRepository
    from core.registry.sources import SourceRow

    database = Database(uri, name)
    try:
        await prepare(database)
        today = datetime.now(UTC).date()
        log(f"end to end: importing {enterprises:,} demo enterprises")
        started = time.perf_counter()
        rows = list(generator.generate_enterprises(enterprises, today=today))
        report = await EnterpriseImporter(database, actor="bench").run(
            (SourceRow(i, r) for i, r in enumerate(rows, 1)), rescan=None)
        inspectors = list(generator.generate_inspectors(
            enterprises, today=today, enterprise_codes_sample=[r["credit_code"] for r in rows[::5]]))
        await import_inspector_rows(database, (SourceRow(i, r) for i, r in enumerate(inspectors, 1)))
        seed_s = time.perf_counter() - started
        del rows
        log(f"end to end: imported in {seed_s:.1f}s ({report.inserted:,} inserted, {report.failed} failed, "
            f"{len(inspectors):,} inspectors)")

        await MatterRepository(database).upsert_many([Matter.model_validate(m) for m in generator.matters()])
        supervisor = Viewer(username="bench", roles=frozenset({Role.SUPERVISOR}), jurisdictions=(PROVINCE,))
        plan_input = {"name": "基准测试 全省双随机抽查", "jurisdiction": PROVINCE, "matters": ["STJ-WRY-01"],
                      "period_start": date(today.year + 1, 1, 1), "period_end": date(today.year + 1, 3, 31)}
        # The announced public event is the freeze itself, so the draw can follow at once.
        services = build_services(database, Settings(draw_public_interval_minutes=0, draw_notice_minutes=0,
                                                     draw_result_delay_minutes=0))
        t0, cpu0 = time.perf_counter(), time.process_time()
        plan = await services.plans.create(supervisor, plan_input, request_id="bench")
        t1 = time.perf_counter()
        frozen = await services.draws.freeze(supervisor, plan.id, request_id="bench")
        t2 = time.perf_counter()
        drawn = await services.draws.draw(supervisor, plan.id, public_value="1 2 3 4 5", request_id="bench")
        draw = drawn.draw
        t3, cpu3 = time.perf_counter(), time.process_time()
        tasks = await database["tasks"].count_documents({"plan_id": plan.id})
        log(f"end to end: create {t1 - t0:.2f}s, freeze {t2 - t1:.2f}s, draw {t3 - t2:.2f}s; {tasks:,} tasks")
        return {
            "e2e_enterprises": enterprises,
            "e2e_inspectors": len(inspectors),
            "e2e_import_s_untimed": round(seed_s, 1),
            "e2e_population": frozen.population_size,
            "e2e_quotas": frozen.quotas,
            "create_plan_s": round(t1 - t0, 3),
            "freeze_s": round(t2 - t1, 3),
            "draw_s_e2e": round(t3 - t2, 3),
            "draw_100k_end_to_end_s": round(t3 - t0, 3),
            "freeze_draw_tasks_s": round(t3 - t1, 3),
            "e2e_client_cpu_s": round(cpu3 - cpu0, 3),  # this process only; the database is a child process
            "e2e_target_s": 15.0,
            "tasks": tasks,
            "e2e_drawn": draw.drawn_count,
            "e2e_staffed": draw.staffed_count,
            "e2e_unstaffed": len(draw.unstaffed),
        }
    finally:
        await database.client.close()


def bench_end_to_end(enterprises: int) -> dict[str, Any]:
    from api import logs

    logs.configure("WARNING", as_json=False)
    with temp_dir("ecoinspect-bench-draw-") as tmp, database_server(tmp / "server") as server:
        log(f"end to end: database at {server.uri}")
        name = database_name("draw")
        figures = asyncio.run(_end_to_end(server.uri, name, enterprises))
        if os.environ.get("MONGODB_URI"):
            asyncio.run(_drop(server.uri, name))
        figures["e2e_server"] = "MongoDB (MONGODB_URI)" if server.pid is None else "SecantusDB (embedded child process)"
        return figures


async def _drop(uri: str, name: str) -> None:
    from core.db import Database

    database = Database(uri, name)
    await database.client.drop_database(name)
    await database.client.close()


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=3_000_000)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--inspectors", type=int, default=45_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--only", choices=("v2", "e2e"), default=None, help="run one part only")
    args = parser.parse_args()
    if args.only:
        figures = {"benchmark": "draw", **machine()}
        figures.update(bench_protocol_v2(args.objects) if args.only == "v2" else bench_end_to_end(args.enterprises))
        figures["peak_rss_mb_end"] = round(_rss_peak_mb(), 1)
        emit(figures)
        return

    figures: dict[str, Any] = {"benchmark": "draw", **machine(), "object_algorithm": sampling.ALGORITHM,
                               "inspector_algorithm": assignment.ALGORITHM}
    figures.update(bench_sampling(args.objects))
    figures.update(bench_assignment(args.tasks, args.inspectors))
    figures.update(bench_protocol_v2(args.objects))
    figures.update(bench_end_to_end(args.enterprises))
    figures["peak_rss_mb_end"] = round(_rss_peak_mb(), 1)
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
