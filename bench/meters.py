"""Meter readings: ``ingest.ingest`` against raw ``insert_many``, and the electricity anomaly scan.

    .venv/bin/python bench/meters.py [--meters 1000] [--slots 1000] [--order time|meter]
                                     [--scan-enterprises 5000] [--scan-days 3] [--repeat 5]

Everything runs in this process against one fresh embedded SecantusDB child process (or a fresh
database on MONGODB_URI).

1. Set-up (untimed except where said): ``--scan-enterprises`` demo enterprises (core.demo.generator,
   seeded) through ``EnterpriseImporter``; the default policy packs; then ``MeterService.register``
   of ``--meters`` meters (a production and a treatment meter for each of the first meters/2
   enterprises; timed as ``register_s``).
2. Readings: ``--slots`` 15-minute kW readings per meter (1,000 × 1,000 = 1,000,000, about 10.4
   days from UTC midnight 11 days ago). Each value is a pure function of (meter, slot): a day-shift
   plant with ±5 % deterministic noise; every 50th enterprise has its treatment off from 12:00 to
   14:00 Beijing time each day and every 50th+1 works at night, so that the scan has something to
   find. The values are computed once, as the text a feed carries, into a table (untimed,
   ``feed_table_build_s_untimed``), as the baseline's documents are built outside its timer. The
   rows are then produced lazily from the table as ``SourceRow`` values (strings): one row object
   and its dict per reading, what a reader makes. ``--order time`` (default) yields every meter for
   one interval, then the next interval, as a utility's interval feed does; ``--order meter``
   yields each meter's whole series in turn. Producing the rows alone (no ingest) is timed as
   ``generate_s``; the ingest timer includes pulling them.
3. Baseline: a scratch collection with the same indexes as ``meter_days`` receives the same bucketed
   documents that ``write_readings`` leaves behind (``_id``, ``meter_id``, ``day``, ``credit_code``,
   ``r: {minute: {"kw": value}}``; one per meter per UTC day) by ``insert_many(1000 documents,
   ordered=False)``. The documents are built batch by batch from the same value function outside
   the timer; only the ``insert_many`` calls are timed. It runs twice: before the ingest and again
   after it, into a fresh scratch collection, because whichever runs second after a large write
   pays for some of it. ``insert_many_s`` is the mean of the two; both are printed. After the
   ingest, every stored bucket is compared with its baseline twin (``baseline_mismatches``).
4. Ingest: ``ingest.ingest(database, rows)`` over the rows, timed (``ingest_s``);
   ``ratio_vs_insert_many`` = ingest_s / insert_many_s (target ≤ 1.5). A thread samples the RSS of
   this process (psutil, every 50 ms) during the ingest: ``peak_rss_mb`` (and the server's, when
   embedded); the table of step 2 is part of it, ``rss_growth_during_ingest_mb`` is not. Client
   and server CPU seconds are reported, and the time spent in the repository calls inside the
   ingest (``by_ids``, ``write_readings``, ``set_last``; wrapped, not edited) as
   ``ingest_stages_s``. Then the same readings are ingested again (``replay_s``;
   ``replay_buckets_changed`` and ``replay_buckets_created`` should be 0). Then the same feed is
   written to a CSV file (untimed) and, after ``meter_days`` is emptied, ingested from that file
   through the product's reader ``open_rows`` (``csv_ingest_s``, ``csv_ratio_vs_insert_many``;
   reading the file alone is ``csv_read_alone_s``); its buckets are compared with the baseline
   again (``csv_baseline_mismatches``).
5. Scan from the database, for the stated set only (``--meters`` meters = meters/2 enterprises ×
   ``--scan-days`` days inside the ingested range, measured, not extrapolated):
   ``MeterRepository.in_scope`` + ``load_series`` timed alone (``load_s``), then the whole
   ``PowerScanService.scan`` (``scan_db_s``) with each of its stages timed by wrapping the
   module's functions and the service's methods (load_series, apply_measures, thresholds, detect,
   _store), then a rescan
   (idempotent: nothing created). A linear extrapolation of load_s to the detect set is printed
   under a name that says so; it is not a measurement.
6. Detect: a Series of ``--scan-enterprises`` enterprises (every demo enterprise, each with one
   production and one treatment meter: 10,000 meters) × 72 h of 15-minute slots, built in memory
   with numpy (seeded): day-shift plants with noise and, on a few per cent of rows, treatment off
   for 1–16 slots, night work, a mandated halt (half of them producing through it), a mandated
   30 % cut (half of them ignoring it) and gaps of missing readings. Thresholds come from the real
   ``PowerScanService.thresholds`` (the default electricity_triggers pack, facts from the registry;
   timed as ``thresholds_s``). ``detect(series, thresholds)`` is timed ``--repeat`` times;
   ``scan_10k_meters_72h_s`` is the median (target ≤ 1 s). This figure is detect() alone: loading
   the series and storing alerts are the figures of step 5.

Progress goes to stderr; the last line of stdout is one JSON object with every figure. Nothing here
asserts a time: the targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _common import database_name, database_server, emit, log, machine, temp_dir
from _measure import Cpu, RssSampler, timed, vmhwm_mb
from _meter_feed import PRODUCTION_KW, SLOTS_PER_DAY, TREATMENT_KW, Readings, isnan, synthetic_series

TARGET_RATIO = 1.5
TARGET_SCAN_S = 1.0
BATCH = 1000  # documents per insert_many in the baseline
BASELINE = "bench_meter_days_baseline"


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _progress(rows: Iterator[Any], label: str, total: int) -> Iterator[Any]:
    started = time.perf_counter()
    step = max(1, total // 10)
    for n, row in enumerate(rows, 1):
        if n % step == 0:
            log(f"{label}: {n:,}/{total:,} rows, {n / (time.perf_counter() - started):,.0f} rows/s")
        yield row


# --------------------------------------------------------------------------- the run


async def _setup(database: Any, enterprises: int, today: date) -> tuple[list[str], Any]:
    from api.app import prepare
    from core.demo import generator
    from core.policies.service import PolicyService
    from core.registry.importing import EnterpriseImporter
    from core.registry.sources import SourceRow
    from rules.policy_engine import RulesEngine

    await prepare(database)
    policies = PolicyService(database, engine=RulesEngine())
    await policies.install_default_packs()

    def source() -> Iterator[Any]:
        return (SourceRow(n, r) for n, r in enumerate(generator.generate_enterprises(enterprises, today=today), 1))

    report = await EnterpriseImporter(database, actor="bench").run(source(), rescan=source)
    if report.failed or report.inserted != enterprises:
        raise SystemExit(f"enterprise import: {report.inserted} inserted, {report.failed} failed")
    codes = [row["credit_code"] for row in generator.generate_enterprises(enterprises, today=today)]
    return codes, policies


async def _register(database: Any, codes: list[str]) -> tuple[float, int]:
    from core.accounts.models import Role, Viewer
    from core.nonsite.meters import MeterService
    from core.reference import tables

    viewer = Viewer(username="bench", roles=frozenset({Role.ADMIN}), jurisdictions=(tables.root_code(),))
    rows = []
    for e, code in enumerate(codes):
        rows.append({"meter_id": Readings.meter_id(e, False), "credit_code": code, "role": "production",
                     "unit": "生产线1", "rated_kw": PRODUCTION_KW})
        rows.append({"meter_id": Readings.meter_id(e, True), "credit_code": code, "role": "treatment",
                     "unit": "治理设施", "rated_kw": TREATMENT_KW})
    started = time.perf_counter()
    inserted, _updated, errors = await MeterService(database).register(viewer, rows)
    seconds = time.perf_counter() - started
    if errors or inserted != len(rows):
        raise SystemExit(f"meter registration: {inserted} inserted, {len(errors)} rejected: {errors[:3]}")
    return seconds, inserted


async def _baseline(database: Any, data: Readings, cpu: Cpu) -> dict[str, Any]:
    from core.db import CollectionSpec
    from core.nonsite.repository import COLLECTIONS, DAYS

    indexes = next(spec.indexes for spec in COLLECTIONS if spec.name == DAYS)
    await database.ensure_schema([CollectionSpec(BASELINE, indexes=indexes)])
    collection = database[BASELINE]
    buckets = data.buckets()
    insert_s = build_s = 0.0
    inserted = 0
    while True:
        t0 = time.perf_counter()
        docs = [doc for _, doc in zip(range(BATCH), buckets, strict=False)]
        build_s += time.perf_counter() - t0
        if not docs:
            break
        cpu.start()
        t1 = time.perf_counter()
        await collection.insert_many(docs, ordered=False)
        insert_s += time.perf_counter() - t1
        cpu.stop()
        inserted += len(docs)
    return {"insert_many_s": insert_s, "build_s": build_s, "documents": inserted,
            "stored": await collection.count_documents({}),
            "client_cpu_s": cpu.client_s, "server_cpu_s": cpu.server_s}


async def _ingest(database: Any, rows: Callable[[], Iterator[Any]], total: int, server_pid: int | None,
                  label: str) -> dict[str, Any]:
    from core.nonsite import ingest
    from core.nonsite.repository import MeterRepository

    cpu = Cpu(server_pid)
    stages: dict[str, float] = {}
    originals = {name: getattr(MeterRepository, name) for name in ("by_ids", "write_readings", "set_last")}
    for name, function in originals.items():
        setattr(MeterRepository, name, timed(stages, name, function))
    try:
        with RssSampler(server_pid) as rss:
            before = rss.peak
            cpu.start()
            started = time.perf_counter()
            report = await ingest.ingest(database, _progress(rows(), label, total))
            seconds = time.perf_counter() - started
            cpu.stop()
    finally:
        for name, function in originals.items():
            setattr(MeterRepository, name, function)
    log(f"{label} stages (repository calls inside the ingest): "
        + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
    codes = Counter(e.code for e in report.errors)
    return {"seconds": seconds, "received": report.received, "accepted": report.accepted,
            "buckets_created": report.buckets_created, "buckets_changed": report.buckets_changed,
            "errors": dict(codes), "rss_before_mb": before, "peak_rss_mb": rss.peak,
            "server_peak_rss_mb": rss.server_peak if rss.server is not None else None, "rss_samples": rss.samples,
            "client_cpu_s": cpu.client_s, "server_cpu_s": cpu.server_s,
            "stages": {k: round(v, 2) for k, v in stages.items()}}


async def _ingest_csv(database: Any, data: Readings, order: str, table: list[tuple[str, list[str]]],
                      server_pid: int | None, total: int) -> dict[str, Any]:
    """The same feed as a CSV file through the product's reader (``open_rows``), into emptied buckets."""
    from core.nonsite.repository import COLLECTIONS, DAYS
    from core.registry.sources import open_rows

    with temp_dir("ecoinspect-bench-csv-") as tmp:
        path = tmp / "readings.csv"
        t0 = time.perf_counter()
        data.write_csv(path, order, table)
        write_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 2**20
        t0 = time.perf_counter()
        read = sum(1 for _ in open_rows(path, ["meter", "timestamp"]))
        read_s = time.perf_counter() - t0
        log(f"csv: {size_mb:.0f} MiB written in {write_s:.2f}s (untimed); read alone ({read:,} rows) {read_s:.2f}s")
        await database[DAYS].drop()
        await database.ensure_schema([spec for spec in COLLECTIONS if spec.name == DAYS])
        result = await _ingest(database, lambda: open_rows(path, ["meter", "timestamp"]), total, server_pid, "csv")
    log(f"csv ingest: {result['seconds']:.2f}s, {result['buckets_created']:,} buckets created")
    return {**result, "read_s": read_s, "size_mb": size_mb}


async def _compare(database: Any) -> tuple[int, int]:
    """(stored buckets, buckets that differ from their baseline twin or have none), a chunk at a time."""
    from core.nonsite.repository import DAYS

    stored = matched = mismatches = 0

    async def check(part: list[dict[str, Any]]) -> None:
        nonlocal matched, mismatches
        for start in range(0, len(part), 100):
            chunk = part[start:start + 100]
            twins = {d["_id"]: d async for d in database[BASELINE].find({"_id": {"$in": [d["_id"] for d in chunk]}})}
            for doc in chunk:
                twin = twins.get(doc["_id"])
                matched += twin is not None
                # "v" is the stored bucket's write version (optimistic concurrency), not reading data.
                mismatches += twin != {k: v for k, v in doc.items() if k != "v"}

    part: list[dict[str, Any]] = []
    async for doc in database[DAYS].find({}):
        stored += 1
        part.append(doc)
        if len(part) == 1000:
            await check(part)
            part = []
    await check(part)
    return stored, mismatches + await database[BASELINE].count_documents({}) - matched


async def _scan_from_database(database: Any, policies: Any, start: date, days: int) -> dict[str, Any]:
    from core.nonsite import power_scan
    from core.nonsite.meters import load_series
    from core.nonsite.repository import DAYS, MeterRepository
    from core.reference import tables

    scopes = [tables.root_code()]
    t0 = time.perf_counter()
    meters = await MeterRepository(database).in_scope(scopes)
    t1 = time.perf_counter()
    series = await load_series(database, meters, start, days)
    t2 = time.perf_counter()
    day_keys = [(start + timedelta(days=n)).isoformat() for n in range(days)]
    documents = await database[DAYS].count_documents({"day": {"$in": day_keys}})
    filled = int((~isnan(series.production)).sum() + (~isnan(series.treatment)).sum())
    log(f"load: {len(meters):,} meters in {t1 - t0:.2f}s, series of {len(series.codes):,} enterprises × "
        f"{series.production.shape[1]} slots from {documents:,} day documents in {t2 - t1:.2f}s")

    results = []
    for attempt in ("scan", "rescan"):
        stages: dict[str, float] = {}
        scanner = power_scan.PowerScanService(database, policies=policies)
        patched = {name: getattr(power_scan, name) for name in ("load_series", "detect")}
        for name, function in patched.items():
            setattr(power_scan, name, timed(stages, name, function))
        for name in ("apply_measures", "thresholds", "_store"):  # an instance attribute hides the method
            setattr(scanner, name, timed(stages, name, getattr(scanner, name)))
        repo_in_scope = MeterRepository.in_scope
        MeterRepository.in_scope = timed(stages, "in_scope", repo_in_scope)  # type: ignore[method-assign]
        try:
            started = time.perf_counter()
            result = await scanner.scan(scopes=scopes, start=start, days=days)
            seconds = time.perf_counter() - started
        finally:
            for name, function in patched.items():
                setattr(power_scan, name, function)
            MeterRepository.in_scope = repo_in_scope  # type: ignore[method-assign]
        log(f"{attempt}: {seconds:.2f}s, {result} stages " + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
        results.append((seconds, result, stages))
    (scan_s, scan_result, stages), (rescan_s, rescan_result, rescan_stages) = results
    return {
        "load_set": f"{len(meters)} meters ({len(series.codes)} enterprises) x {days} days "
                    f"({series.production.shape[1]} slots), measured from the database",
        "load_meters": len(meters), "load_enterprises": len(series.codes), "load_days": days,
        "load_day_documents": documents, "load_readings": filled,
        "load_meters_s": t1 - t0, "load_series_s": t2 - t1, "load_s": t2 - t0,
        "scan_db_s": scan_s, "scan_db_stages_s": {k: round(v, 3) for k, v in stages.items()},
        "scan_db_anomalies": scan_result.get("anomalies"), "scan_db_created": scan_result.get("created"),
        "rescan_db_s": rescan_s, "rescan_db_stages_s": {k: round(v, 3) for k, v in rescan_stages.items()},
        "rescan_db_created": rescan_result.get("created"),
    }


async def _detect(database: Any, policies: Any, codes: list[str], start: date, repeat: int) -> dict[str, Any]:
    from core.nonsite.detect import detect
    from core.nonsite.power_scan import PowerScanService

    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    slots = 3 * SLOTS_PER_DAY
    t0 = time.perf_counter()
    series, planted = synthetic_series(sorted(codes), origin, slots, seed=20261128)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    limits, version = await PowerScanService(database, policies=policies).thresholds(series, start)
    thresholds_s = time.perf_counter() - t1
    log(f"detect: series {len(series.codes):,} × {slots} built in {build_s:.2f}s, thresholds from {version} "
        f"in {thresholds_s:.2f}s ({Counter(_per_row(limits.severity))})")
    runs: list[float] = []
    found: list[Any] = []
    for _ in range(repeat):
        started = time.perf_counter()
        found = detect(series, limits)
        runs.append(time.perf_counter() - started)
    kinds = Counter(str(a.kind) for a in found)
    log(f"detect: runs {', '.join(f'{r:.3f}s' for r in runs)}; {len(found)} anomalies {dict(kinds)}")
    return {"scan_enterprises": len(series.codes), "scan_meters": 2 * len(series.codes), "scan_slots": slots,
            "scan_10k_meters_72h_s": statistics.median(runs), "detect_runs_s": [round(r, 4) for r in runs],
            "detect_anomalies": len(found), "detect_anomalies_by_kind": dict(sorted(kinds.items())),
            "planted": planted, "series_build_s_untimed": build_s, "thresholds_s": thresholds_s,
            "thresholds_severity": dict(Counter(_per_row(limits.severity))),
            "thresholds_min_minutes": dict(Counter(int(m) for m in _per_row(limits.min_minutes, strictest=min)))}


async def run(uri: str, server_pid: int | None, args: argparse.Namespace) -> dict[str, Any]:
    from core.db import Database

    name = database_name("meters")
    database = Database(uri, name)
    figures: dict[str, Any] = {}
    try:
        today = datetime.now(UTC).date()
        log(f"set-up: importing {args.scan_enterprises:,} demo enterprises, installing the policy packs")
        t0 = time.perf_counter()
        codes, policies = await _setup(database, args.scan_enterprises, today)
        figures["setup_s_untimed"] = round(time.perf_counter() - t0, 2)
        metered = codes[:args.meters // 2]
        register_s, registered = await _register(database, metered)
        log(f"registered {registered:,} meters for {len(metered):,} enterprises in {register_s:.2f}s")

        first_day = today - timedelta(days=11)
        origin = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
        data = Readings(metered, args.slots, origin)
        total = args.slots * 2 * len(metered)
        log(f"readings: {total:,} ({2 * len(metered):,} meters × {args.slots} slots from {origin:%Y-%m-%d %H:%M}Z, "
            f"{args.order} order)")

        t0 = time.perf_counter()
        table = data.table()
        table_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        generated = sum(1 for _ in data.rows(args.order, table))
        generate_s = time.perf_counter() - t0
        log(f"feed table (values as text) built in {table_s:.2f}s (untimed); rows from it alone: {generated:,} "
            f"in {generate_s:.2f}s")

        log("baseline: insert_many of the same bucketed documents (1000 per call) into a scratch collection")
        baseline = await _baseline(database, data, Cpu(server_pid))
        log(f"baseline: {baseline['documents']:,} documents, insert_many {baseline['insert_many_s']:.2f}s, "
            f"built in {baseline['build_s']:.2f}s (untimed)")

        log(f"ingest: ingest.ingest of {total:,} readings")
        ingest = await _ingest(database, lambda: data.rows(args.order, table), total, server_pid, "ingest")
        log(f"ingest: {ingest['seconds']:.2f}s, {ingest['buckets_created']:,} buckets created, "
            f"peak RSS {ingest['peak_rss_mb']:.0f} MB")
        stored, mismatches = await _compare(database)
        log(f"compare: {stored:,} stored buckets, {mismatches} differ from the baseline documents")
        # The baseline again, after the ingest, into a fresh scratch collection: the server does
        # background work after a large write, so whichever runs second pays for the first. The
        # ratio's denominator is the mean of the two runs.
        await database[BASELINE].drop()
        after = await _baseline(database, data, Cpu(server_pid))
        log(f"baseline after the ingest: insert_many {after['insert_many_s']:.2f}s")
        insert_many_s = (baseline["insert_many_s"] + after["insert_many_s"]) / 2

        log("replay: the same readings again")
        replay = await _ingest(database, lambda: data.rows(args.order, table), total, server_pid, "replay")
        log(f"replay: {replay['seconds']:.2f}s, {replay['buckets_changed']} changed, "
            f"{replay['buckets_created']} created")

        from_csv = await _ingest_csv(database, data, args.order, table, server_pid, total)
        csv_stored, csv_mismatches = await _compare(database)
        log(f"compare: {csv_stored:,} stored buckets after the CSV ingest, {csv_mismatches} differ")
        await database[BASELINE].drop()

        start = first_day + timedelta(days=7)
        log(f"scan from the database: {start} + {args.scan_days} days")
        scanned = await _scan_from_database(database, policies, start, args.scan_days)

        log(f"detect: {args.scan_enterprises:,} enterprises × 72 h, {args.repeat} runs")
        detected = await _detect(database, policies, codes, start, args.repeat)

        figures.update({
            "readings": total, "meters": 2 * len(metered), "enterprises_metered": len(metered),
            "slots_per_meter": args.slots, "order": args.order,
            "register_s": _r(register_s),
            "generate_s": _r(generate_s),
            "ingest_s": _r(ingest["seconds"]),
            "readings_per_s": round(total / ingest["seconds"]),
            "ingest_accepted": ingest["accepted"], "ingest_errors": ingest["errors"],
            "buckets_created": ingest["buckets_created"], "buckets_stored": stored,
            "insert_many_s": _r(insert_many_s),
            "insert_many_before_ingest_s": _r(baseline["insert_many_s"]),
            "insert_many_after_ingest_s": _r(after["insert_many_s"]),
            "insert_many_documents": baseline["documents"],
            "baseline_build_s_untimed": _r(baseline["build_s"]),
            "baseline_mismatches": mismatches,
            "ratio_vs_insert_many": _r(ingest["seconds"] / insert_many_s),
            "feed_table_build_s_untimed": _r(table_s),
            "target_ratio": TARGET_RATIO,
            "ingest_stages_s": ingest["stages"],
            "ingest_client_cpu_s": _r(ingest["client_cpu_s"], 2),
            "ingest_server_cpu_s": _r(ingest["server_cpu_s"], 2),
            "insert_many_client_cpu_s": _r(baseline["client_cpu_s"], 2),
            "insert_many_server_cpu_s": _r(baseline["server_cpu_s"], 2),
            "peak_rss_mb": round(ingest["peak_rss_mb"], 1),
            "rss_before_ingest_mb": round(ingest["rss_before_mb"], 1),
            "rss_growth_during_ingest_mb": round(ingest["peak_rss_mb"] - ingest["rss_before_mb"], 1),
            "server_peak_rss_mb": _r(ingest["server_peak_rss_mb"], 1),
            "rss_samples": ingest["rss_samples"],
            "csv_size_mb": _r(from_csv["size_mb"], 1),
            "csv_read_alone_s": _r(from_csv["read_s"]),
            "csv_ingest_s": _r(from_csv["seconds"]),
            "csv_ratio_vs_insert_many": _r(from_csv["seconds"] / insert_many_s),
            "csv_accepted": from_csv["accepted"], "csv_buckets_created": from_csv["buckets_created"],
            "csv_baseline_mismatches": csv_mismatches,
            "csv_client_cpu_s": _r(from_csv["client_cpu_s"], 2),
            "csv_server_cpu_s": _r(from_csv["server_cpu_s"], 2),
            "csv_peak_rss_mb": round(from_csv["peak_rss_mb"], 1),
            "replay_s": _r(replay["seconds"]),
            "replay_buckets_changed": replay["buckets_changed"],
            "replay_buckets_created": replay["buckets_created"],
            "replay_accepted": replay["accepted"],
            "replay_stages_s": replay["stages"],
            "replay_peak_rss_mb": round(replay["peak_rss_mb"], 1),
            **{k: (_r(v) if isinstance(v, float) else v) for k, v in scanned.items()},
            "load_s_per_10k_meters_extrapolated_linear": _r(
                scanned["load_s"] * detected["scan_meters"] / max(1, scanned["load_meters"])),
            **{k: (_r(v, 4) if isinstance(v, float) else v) for k, v in detected.items()},
            "target_scan_s": TARGET_SCAN_S,
        })
    finally:
        if os.environ.get("MONGODB_URI"):
            await database.client.drop_database(name)
        await database.client.close()
    return figures


def _per_row(values: Any, strictest: Callable[[Any], Any] = max) -> list[Any]:
    """One value per enterprise from per-enterprise or per-slot thresholds (the strictest over the slots)."""
    from core.nonsite.detect import SEVERITIES

    if not hasattr(values, "ndim") or values.ndim == 1:
        return list(values)
    if values.dtype.kind == "i" and strictest is max:  # severities as indexes
        return [SEVERITIES[int(row.max())] for row in values]
    return [strictest(row) for row in values]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=1000, help="meters to ingest for (even; default 1000)")
    parser.add_argument("--slots", type=int, default=1000, help="15-minute readings per meter (default 1000)")
    parser.add_argument("--order", choices=["time", "meter"], default="time",
                        help="time: every meter per interval (default); meter: each meter's series in turn")
    parser.add_argument("--scan-enterprises", type=int, default=5000,
                        help="enterprises in the registry and in the detect series (default 5000)")
    parser.add_argument("--scan-days", type=int, default=3, help="days scanned from the database (default 3)")
    parser.add_argument("--repeat", type=int, default=5, help="detect runs (default 5)")
    args = parser.parse_args()
    if args.meters < 2 or args.meters % 2 or args.meters // 2 > args.scan_enterprises:
        parser.error("--meters must be even and at most 2 × --scan-enterprises")
    if args.slots < SLOTS_PER_DAY * (7 + args.scan_days) or args.slots > 11 * SLOTS_PER_DAY - 48:
        parser.error(f"--slots must cover day 7 + --scan-days and end before now "
                     f"({SLOTS_PER_DAY * (7 + args.scan_days)}..{11 * SLOTS_PER_DAY - 48})")

    from api import logs

    logs.configure("WARNING", as_json=False)
    # A plain SIGTERM would skip the clean-up below (temp files, the server process).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    figures: dict[str, Any] = {"benchmark": "meters", **machine(),
                               "server": "MongoDB (MONGODB_URI)" if os.environ.get("MONGODB_URI")
                               else "SecantusDB (embedded child process)"}
    started = time.perf_counter()
    with temp_dir("ecoinspect-bench-meters-") as tmp, database_server(tmp / "server") as server:
        log(f"database at {server.uri}")
        figures.update(asyncio.run(run(server.uri, server.pid, args)))
        # Whole-run peaks (set-up, thresholds over every enterprise and the comparison included).
        figures["client_vmhwm_whole_run_mb"] = vmhwm_mb("self")
        figures["server_vmhwm_whole_run_mb"] = vmhwm_mb(str(server.pid)) if server.pid else None
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
