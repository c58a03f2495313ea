"""Registry import throughput and memory: ``import_enterprises`` against raw ``insert_many``.

    .venv/bin/python bench/import.py [--rows 1000000]

1. Streams N generated demo enterprise rows to a CSV file (and the first N/10 to a second file).
2. Baseline: in a fresh database (same collections, validators and indexes) a fresh process
   builds exactly the documents the importer stores, batch by batch, and times only the
   ``insert_many(batch of 1000, ordered=False)`` calls; building a batch is outside the timer.
3. Import: a fresh process on a fresh database times ``import_enterprises`` on the N-row file
   and reports its own peak RSS (``ru_maxrss``); again on the N/10 file to show that memory
   does not grow with the file.

Each phase gets its own embedded SecantusDB child process (or its own database on MONGODB_URI).
Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import ROOT, Server, database_name, database_server, emit, log, machine, temp_dir

TARGET_RATIO = 1.5
BATCH = 1000  # the importer's BATCH_SIZE
REQUIRED = ["credit_code", "name", "jurisdiction", "industry_code"]  # as import_enterprises


def _status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status (VmRSS, VmHWM) in MiB; None off Linux."""
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return None


def _reset_peak_rss() -> bool:
    """Restart the peak-RSS mark (VmHWM) at the current RSS, so start-up does not count.

    Importing the app's modules peaks at ~140 MB and settles at ~75 MB; without the reset the
    figure would be that start-up peak for any file size. (``ru_maxrss`` is no alternative in a
    spawned worker: Linux carries it across exec, so a child of a 500 MB parent reads 511 MB.)
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def _rss_peak_mb() -> float:
    """Peak RSS since start-up or since the last reset, in MiB."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _ServerCpu:
    """CPU seconds the database server process spends inside the timed sections."""

    def __init__(self, pid: int | None) -> None:
        self.process = None
        self.total = 0.0
        if pid:
            import psutil

            self.process = psutil.Process(pid)

    def now(self) -> float:
        if self.process is None:
            return 0.0
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def result(self) -> float | None:
        return self.total if self.process is not None else None


# --------------------------------------------------------------------------- file generation


def write_csv(big: Path, small: Path, rows: int, small_rows: int) -> float:
    """Stream the generator to ``big`` (all rows) and ``small`` (the first ``small_rows``)."""
    from core.demo.generator import generate_enterprises
    from core.registry.rows import ENTERPRISE_COLUMNS

    started = time.perf_counter()
    today = datetime.now(UTC).date()
    step = max(1, rows // 10)
    with big.open("w", newline="", encoding="utf-8") as fb, \
            small.open("w", newline="", encoding="utf-8") as fs:
        wb, ws = csv.writer(fb), csv.writer(fs)
        wb.writerow(ENTERPRISE_COLUMNS)
        ws.writerow(ENTERPRISE_COLUMNS)
        for index, row in enumerate(generate_enterprises(rows, today=today)):
            cells = [row.get(column, "") for column in ENTERPRISE_COLUMNS]
            wb.writerow(cells)
            if index < small_rows:
                ws.writerow(cells)
            if (index + 1) % step == 0:
                log(f"generated {index + 1:,}/{rows:,} rows")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- workers


async def _import_worker(uri: str, name: str, path: Path, drop: bool, server_pid: int | None) -> dict[str, Any]:
    from api.app import prepare
    from core.db import Database
    from core.registry.importing import import_enterprises

    database = Database(uri, name)
    await prepare(database)
    startup_peak = _rss_peak_mb()
    if not _reset_peak_rss():
        raise SystemExit("cannot reset the peak-RSS mark (/proc/self/clear_refs); Linux is required")
    rss_before = _status_mb("VmRSS")
    done = 0
    server_cpu = _ServerCpu(server_pid)
    server_before = server_cpu.now()
    cpu_before = _cpu_s()
    started = time.perf_counter()
    next_report = 100_000

    def progress(count: int) -> None:
        nonlocal done, next_report
        done += count
        if done >= next_report:
            elapsed = time.perf_counter() - started
            log(f"import {path.name}: {done:,} rows, {done / elapsed:,.0f} rows/s, "
                f"peak RSS {_rss_peak_mb():.0f} MB")
            next_report += 100_000

    report = await import_enterprises(database, path, actor="bench", progress=progress)
    seconds = time.perf_counter() - started
    cpu = _cpu_s() - cpu_before
    server_cpu.total = server_cpu.now() - server_before
    stored = await database["enterprises"].count_documents({})
    if drop:
        await database.client.drop_database(name)
    await database.client.close()
    return {
        "seconds": seconds, "client_cpu_s": cpu, "server_cpu_s": server_cpu.result(), "rows": report.rows,
        "inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged,
        "failed": report.failed, "stored": stored,
        "startup_peak_rss_mb": startup_peak, "rss_before_mb": rss_before, "peak_rss_mb": _rss_peak_mb(),
    }


async def _baseline_worker(uri: str, name: str, path: Path, drop: bool, server_pid: int | None) -> dict[str, Any]:
    """Raw insert_many of the documents the importer would store (mirrors importing._write)."""
    import uuid

    from api.app import prepare
    from core.db import Database
    from core.registry.importing import content_hash
    from core.registry.repository import ENTERPRISES, enterprise_document
    from core.registry.rows import enterprise_from_row
    from core.registry.sources import open_rows

    database = Database(uri, name)
    await prepare(database)
    collection = database[ENTERPRISES]
    import_id = str(uuid.uuid4())
    rows = open_rows(path, REQUIRED)
    insert_s = build_s = cpu = 0.0
    server_cpu = _ServerCpu(server_pid)
    seq = inserted = 0
    next_report = 100_000
    while True:
        # Build one batch outside the timer, exactly as EnterpriseImporter._write does for new rows.
        t0 = time.perf_counter()
        now = datetime.now(UTC)
        docs: list[dict[str, Any]] = []
        for source in rows:
            record = enterprise_from_row(source.values)
            seq += 1
            doc = {**enterprise_document(record, content_hash=content_hash(record)), "version": 1,
                   "created_at": now, "updated_at": now, "import_id": import_id}
            doc["seq"] = seq
            docs.append(doc)
            if len(docs) >= BATCH:
                break
        build_s += time.perf_counter() - t0
        if not docs:
            break
        s1, c1, t1 = server_cpu.now(), _cpu_s(), time.perf_counter()
        await collection.insert_many(docs, ordered=False)
        insert_s += time.perf_counter() - t1
        cpu += _cpu_s() - c1
        server_cpu.total += server_cpu.now() - s1
        inserted += len(docs)
        if inserted >= next_report:
            log(f"baseline {path.name}: {inserted:,} rows, {inserted / insert_s:,.0f} rows/s (insert only)")
            next_report += 100_000
    stored = await collection.count_documents({})
    if drop:
        await database.client.drop_database(name)
    await database.client.close()
    return {"seconds": insert_s, "build_seconds": build_s, "client_cpu_s": cpu,
            "server_cpu_s": server_cpu.result(), "rows": inserted,
            "stored": stored, "peak_rss_mb": _rss_peak_mb()}


def run_worker(kind: str, server: Server, path: Path, timeout_s: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is its JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--uri", server.uri,
               "--db", database_name(kind), "--csv", str(path)]
    if os.environ.get("MONGODB_URI"):
        command.append("--drop")
    if server.pid:
        command += ["--server-pid", str(server.pid)]
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               timeout=timeout_s, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise SystemExit(f"{kind} worker failed (exit {completed.returncode})")
    return dict(json.loads(lines[-1]))


# --------------------------------------------------------------------------- main


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows in the large file (default 1,000,000)")
    parser.add_argument("--timeout", type=float, default=4 * 3600.0,
                        help="give up on one phase after this many seconds (default 4 h)")
    parser.add_argument("--worker", choices=["import", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--drop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        from api import logs

        logs.configure("WARNING", as_json=False)
        worker = _import_worker if args.worker == "import" else _baseline_worker
        print(json.dumps(asyncio.run(worker(args.uri, args.db, args.csv, args.drop, args.server_pid))), flush=True)
        return

    # A plain SIGTERM would skip the clean-up below (temp files, child processes).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    rows, small_rows = args.rows, args.rows // 10
    figures: dict[str, Any] = {"benchmark": "import", **machine(),
                               "server": "MongoDB (MONGODB_URI)" if os.environ.get("MONGODB_URI")
                               else "SecantusDB (embedded child process)"}
    with temp_dir("ecoinspect-bench-import-") as tmp:
        big, small = tmp / f"enterprises-{rows}.csv", tmp / f"enterprises-{small_rows}.csv"
        log(f"writing {rows:,} generated rows to {big}")
        generate_s = write_csv(big, small, rows, small_rows)
        log(f"CSV written in {generate_s:.1f}s ({big.stat().st_size / 2**20:.0f} MB)")

        log("baseline: raw insert_many of prebuilt documents, batches of 1000, fresh database")
        with database_server(tmp / "baseline") as server:
            baseline = run_worker("baseline", server, big, args.timeout)
        log(f"baseline: {baseline['seconds']:.1f}s inserting, "
            f"{baseline['build_seconds']:.1f}s building (untimed)")

        log(f"import: import_enterprises on {rows:,} rows in a fresh process and database")
        with database_server(tmp / "import") as server:
            large = run_worker("import", server, big, args.timeout)
        log(f"import: {large['seconds']:.1f}s, peak RSS {large['peak_rss_mb']:.0f} MB")

        log(f"import: import_enterprises on {small_rows:,} rows (memory check)")
        with database_server(tmp / "import-small") as server:
            little = run_worker("import", server, small, args.timeout)
        log(f"import (small): {little['seconds']:.1f}s, peak RSS {little['peak_rss_mb']:.0f} MB")

        figures.update({
            "rows": rows,
            "csv_mb": round(big.stat().st_size / 2**20, 1),
            "generate_s": round(generate_s, 2),
            "import_s": round(large["seconds"], 2),
            "rows_per_s": round(rows / large["seconds"], 1),
            "inserted": large["inserted"],
            "failed": large["failed"],
            "stored": large["stored"],
            "baseline_s": round(baseline["seconds"], 2),
            "baseline_rows_per_s": round(baseline["rows"] / baseline["seconds"], 1),
            "baseline_build_s_untimed": round(baseline["build_seconds"], 2),
            "baseline_stored": baseline["stored"],
            "ratio_vs_insert_many": round(large["seconds"] / baseline["seconds"], 3),
            "ratio_vs_insert_many_plus_build": round(
                large["seconds"] / (baseline["seconds"] + baseline["build_seconds"]), 3),
            "target_ratio": TARGET_RATIO,
            "import_client_cpu_s": _round(large["client_cpu_s"]),
            "import_server_cpu_s": _round(large["server_cpu_s"]),
            "baseline_client_cpu_s": _round(baseline["client_cpu_s"]),
            "baseline_server_cpu_s": _round(baseline["server_cpu_s"]),
            "peak_rss_mb": round(large["peak_rss_mb"], 1),
            "rss_before_import_mb": round(large["rss_before_mb"], 1),
            "peak_rss_growth_mb": round(large["peak_rss_mb"] - large["rss_before_mb"], 1),
            "startup_peak_rss_mb": round(large["startup_peak_rss_mb"], 1),
            "rows_small": small_rows,
            "import_s_small": round(little["seconds"], 2),
            "rows_per_s_small": round(small_rows / little["seconds"], 1),
            "peak_rss_mb_small": round(little["peak_rss_mb"], 1),
            "rss_before_import_mb_small": round(little["rss_before_mb"], 1),
            "peak_rss_growth_mb_small": round(little["peak_rss_mb"] - little["rss_before_mb"], 1),
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        })
    emit(figures)


if __name__ == "__main__":
    main()
