"""Concurrent syncPush by one inspector: internal errors, lost and duplicated ops, SYNC_BUSY, latency.

    .venv/bin/python bench/sync_contention.py [--clients 8] [--pushes 500] [--processes 1]

Against one fresh embedded SecantusDB child process (or MONGODB_URI) and one database, one task
with its two inspectors (tests/integration/fieldwork_setup.py), started. ``--clients`` devices of
the task's first inspector, spread over ``--processes`` OS processes (each with its own event loop
and SyncService, as API replicas that share nothing but the database), each send ``--pushes``
pushes through ``SyncService.push``: two findings of their own, one finding every device sends
under the same op id (a shared account; background retries) and one edit of a shared checklist
answer on the version the device last saw (a stale one is a CONFLICT, and the device then reads
the latest version). A SYNC_BUSY answer is sent again after its hint; any other exception counts
as an internal error, by type.

Afterwards the database is checked: every op acknowledged, each applied exactly once (one
``sync_ops`` entry, one log entry per applied op, no record version twice) and the task's hash
chain intact. Progress goes to stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from _common import ROOT, database_name, database_server, emit, log, machine, percentile, temp_dir

for extra in (ROOT / "tests", ROOT / "tests" / "integration"):
    sys.path.insert(0, str(extra))


def _finding(task_id: str, inspection_id: str, text: str) -> dict[str, Any]:
    from fieldwork_setup import op

    return op("record_finding", task_id, {"inspection_id": inspection_id, "severity": "general",
                                          "violation_type": "exceed_standard", "description": text})


async def _device(sync: Any, database: Any, plan: dict[str, Any], number: int, stats: dict[str, Any]) -> None:
    from fieldwork_setup import ALICE, op

    from core.errors import DomainError

    task, inspection, reading = plan["task_id"], plan["inspection_id"], plan["reading_id"]
    known = 1
    for n in range(plan["pushes"]):
        edit = op("answer_item", task, {"inspection_id": inspection, "item_id": "outlet_ph",
                                        "value": 6.0 + number + n / 1000}, record_id=reading, base_version=known)
        batch = [_finding(task, inspection, f"设备{number} 第{n}条 {k}") for k in range(2)]
        batch += [plan["shared"][n], edit]
        while True:
            started = time.perf_counter()
            try:
                results = await sync.push(ALICE, batch, device_now=datetime.now(UTC))
            except DomainError as exc:
                if exc.code != "SYNC_BUSY":
                    stats["internal"][f"{type(exc).__name__}:{exc.code}"] += 1
                    break
                stats["busy"] += 1
                await asyncio.sleep(getattr(exc, "retry_after_s", 1))
                continue
            except Exception as exc:  # what a client would see as INTERNAL_ERROR
                stats["internal"][type(exc).__name__] += 1
                break
            finally:
                stats["latency_ms"].append((time.perf_counter() - started) * 1000)
            for sent, result in zip(batch, results, strict=True):
                stats["statuses"].setdefault(sent["op_id"], []).append(result.status.value)
            if results[-1].status.value == "APPLIED":
                known = results[-1].version
            else:
                latest = await database["field_log"].find_one({"record_id": reading}, sort=[("version", -1)])
                known = latest["version"]
            break


async def _clients(uri: str, name: str, plan: dict[str, Any], numbers: list[int]) -> dict[str, Any]:
    from core.config import Settings
    from core.db import Database
    from core.fieldwork.sync import SyncService

    database = Database(uri, name)
    sync = SyncService(database, Settings(secret_key="b" * 40))
    stats: dict[str, Any] = {"busy": 0, "internal": Counter(), "latency_ms": [], "statuses": {}}
    await asyncio.gather(*(_device(sync, database, plan, n, stats) for n in numbers))
    await database.client.close()
    return stats


def _worker(uri: str, name: str, plan: dict[str, Any], numbers: list[int]) -> dict[str, Any]:
    return asyncio.run(_clients(uri, name, plan, numbers))


async def _prepare(uri: str, name: str, pushes: int) -> dict[str, Any]:
    from fieldwork_setup import ALICE, field_task, op

    from api.app import prepare
    from core.config import Settings
    from core.db import Database
    from core.fieldwork.sync import SyncService

    database = Database(uri, name)
    await prepare(database)
    ready = await field_task(database, Path(tempfile.mkdtemp(prefix="bench-sync-")))
    task = ready["task_id"]
    begin = op("start_task", task, {"checklist_id": ready["checklist_id"]},
               place={"lat": ready["lat"], "lon": ready["lon"], "accuracy_m": 8})
    reading = op("answer_item", task, {"inspection_id": begin["record_id"], "item_id": "outlet_ph", "value": 7.0})
    done = await SyncService(database, Settings(secret_key="b" * 40)).push(ALICE, [begin, reading],
                                                                           device_now=datetime.now(UTC))
    assert [r.status.value for r in done] == ["APPLIED", "APPLIED"], done
    await database.client.close()
    shared = [_finding(task, begin["record_id"], f"共享 {n}") for n in range(pushes)]
    return {"task_id": task, "inspection_id": begin["record_id"], "reading_id": reading["record_id"],
            "shared": shared, "pushes": pushes}


async def _check(uri: str, name: str, plan: dict[str, Any], statuses: dict[str, list[str]]) -> dict[str, Any]:
    from core.db import Database
    from core.fieldwork.chain import verify_task

    database = Database(uri, name)
    task = plan["task_id"]
    in_ops = Counter([d["_id"] async for d in database["sync_ops"].find({"task_id": task}, {"_id": 1})])
    log = [(d["_id"], d["record_id"], d["version"])
           async for d in database["field_log"].find({"task_id": task}, {"record_id": 1, "version": 1})]
    applied = {op_id for op_id, s in statuses.items() if "APPLIED" in s}
    acknowledged = {op_id for op_id, s in statuses.items() if set(s) & {"APPLIED", "REPLAYED", "CONFLICT"}}
    report = await verify_task(database, task)
    figures = {
        "ops_sent": len(statuses),
        "ops_lost": len([o for o in statuses if o not in in_ops]) + len(set(statuses) - acknowledged),
        "ops_applied_twice": sum(1 for s in statuses.values() if s.count("APPLIED") > 1),
        "ops_rejected": sum(1 for s in statuses.values() if "REJECTED" in s),
        "conflicts": sum(1 for s in statuses.values() if "CONFLICT" in s),
        "log_entries": len(log),
        "log_entries_expected": len(applied) + 2,  # and the start and the first reading
        "record_versions_twice": len(log) - len({(r, v) for _, r, v in log}),
        "sync_ops_twice": sum(1 for c in in_ops.values() if c > 1),
        "chain_intact": report.intact,
    }
    await database.client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pushes", type=int, default=500)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    figures: dict[str, Any] = {"bench": "sync_contention", **machine(), "clients": args.clients,
                               "pushes_per_client": args.pushes, "processes": args.processes, "ops_per_push": 4}
    with temp_dir("bench-sync-contention-") as tmp, database_server(tmp / "server") as server:
        name = database_name("contention")
        plan = asyncio.run(_prepare(server.uri, name, args.pushes))
        groups = [list(range(args.clients))[p::args.processes] for p in range(args.processes)]
        log(f"{args.clients} clients × {args.pushes} pushes over {args.processes} process(es)")
        started = time.perf_counter()
        if args.processes == 1:
            parts = [_worker(server.uri, name, plan, groups[0])]
        else:
            with ProcessPoolExecutor(args.processes, mp_context=get_context("spawn")) as pool:
                parts = list(pool.map(_worker, [server.uri] * len(groups), [name] * len(groups),
                                      [plan] * len(groups), groups))
        wall = time.perf_counter() - started
        statuses: dict[str, list[str]] = {}
        internal: Counter[str] = Counter()
        latencies: list[float] = []
        for part in parts:
            for op_id, seen in part["statuses"].items():
                statuses.setdefault(op_id, []).extend(seen)
            internal.update(part["internal"])
            latencies += part["latency_ms"]
        figures.update({
            "wall_s": round(wall, 2), "push_calls": len(latencies),
            "pushes_per_s": round(len(latencies) / wall, 1),
            "internal_errors": sum(internal.values()), "internal_error_kinds": dict(internal),
            "sync_busy": sum(p["busy"] for p in parts),
            "push_p50_ms": round(percentile(latencies, 50), 1), "push_p95_ms": round(percentile(latencies, 95), 1),
            "push_max_ms": round(max(latencies), 1),
        })
        figures.update(asyncio.run(_check(server.uri, name, plan, statuses)))
    emit(figures)


if __name__ == "__main__":
    main()
