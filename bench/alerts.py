"""A province-wide heavy-pollution alert at scale: issue, staff the verification tasks, update, lift.

    .venv/bin/python bench/alerts.py [--enterprises 100000]

An embedded SecantusDB child process (or MONGODB_URI), E demo enterprises and their inspectors
imported (untimed) with the default policy packs, then through the services as a provincial
supervisor: ``AlertService.issue`` of a red alert over the whole province (measures for every
enterprise, verification tasks), ``staff_tasks`` (teams for the on-site tasks), ``update`` (the
end extended by a day, measures recomputed) and ``lift``. Each is timed from the caller.

Targets (issue #14): issue + measures + verification tasks ≤ 10 s; update and lift ≤ 3 s each,
on 100,000 enterprises. Progress goes to stderr; the last line of stdout is one JSON object.
Nothing here asserts a time: the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import database_name, database_server, emit, log, machine, temp_dir

PROVINCE = "610000"
TARGET_ISSUE_S = 10.0
TARGET_CHANGE_S = 3.0


async def _seed(database: Any, enterprises: int) -> dict[str, Any]:
    from core.demo import generator
    from core.registry.importing import EnterpriseImporter, import_inspector_rows
    from core.registry.sources import SourceRow

    today = datetime.now(UTC).date()
    started = time.perf_counter()
    rows = list(generator.generate_enterprises(enterprises, today=today))
    report = await EnterpriseImporter(database, actor="bench").run(
        (SourceRow(i, r) for i, r in enumerate(rows, 1)), rescan=None)
    inspectors = list(generator.generate_inspectors(
        enterprises, today=today, enterprise_codes_sample=[r["credit_code"] for r in rows[::5]]))
    await import_inspector_rows(database, (SourceRow(i, r) for i, r in enumerate(inspectors, 1)))
    log(f"seeded {report.inserted:,} enterprises and {len(inspectors):,} inspectors "
        f"in {time.perf_counter() - started:.1f}s")
    return {"enterprises": report.inserted, "inspectors": len(inspectors),
            "seed_s_untimed": round(time.perf_counter() - started, 1)}


async def _timed(label: str, step: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await step
    elapsed = time.perf_counter() - started
    log(f"{label}: {elapsed:.2f}s")
    return result, elapsed


async def _run(uri: str, name: str, enterprises: int) -> dict[str, Any]:
    from api.app import prepare
    from api.assembly import build_services
    from core.accounts.models import Role, Viewer
    from core.config import Settings
    from core.db import Database

    database = Database(uri, name)
    try:
        await prepare(database)
        figures = await _seed(database, enterprises)
        services = build_services(database, Settings())
        await services.policies.install_default_packs()
        supervisor = Viewer(username="bench", roles=frozenset({Role.SUPERVISOR}), jurisdictions=(PROVINCE,))
        now = datetime.now(UTC)
        alert, issue_s = await _timed("issue", services.alerts.issue(supervisor, {
            "level": "red", "jurisdictions": [PROVINCE], "starts_at": now, "ends_at": now + timedelta(days=3),
            "source": "基准测试 全省红色预警"}))
        tasks = await database["tasks"].count_documents({"draw_id": f"alert:{alert.id}"})
        staffed, staff_s = await _timed("staff", services.alerts.staff_tasks(supervisor, alert.id))
        extended, extend_s = await _timed("update (extend)", services.alerts.update(
            supervisor, alert.id, version=alert.version, changes={"ends_at": now + timedelta(days=4)}))
        downgraded, level_s = await _timed("update (red → orange)", services.alerts.update(
            supervisor, alert.id, version=extended.version, changes={"level": "orange"}))
        tasks_after = await database["tasks"].count_documents({"draw_id": f"alert:{alert.id}",
                                                               "status": {"$ne": "cancelled"}})
        _, lift_s = await _timed("lift", services.alerts.lift(supervisor, alert.id, version=downgraded.version,
                                                              reason="基准测试结束"))
        routes = {key: sum(row.get(key, 0) for row in alert.verification)
                  for key in ("not_checked", "flagged", "exempt", "nonsite", "sampled", "not_sampled")}
        figures.update({
            "affected": alert.affected,
            **{f"route_{key}": value for key, value in routes.items()},
            "onsite_tasks": tasks,
            "onsite_tasks_after_downgrade": tasks_after,
            "staffed": staffed.get("staffed"),
            "issue_s": round(issue_s, 2),
            "staff_s": round(staff_s, 2),
            "issue_and_staff_s": round(issue_s + staff_s, 2),
            "update_extend_s": round(extend_s, 2),
            "update_level_s": round(level_s, 2),
            "lift_s": round(lift_s, 2),
            "target_issue_and_staff_s": TARGET_ISSUE_S,
            "target_update_s": TARGET_CHANGE_S,
            "target_lift_s": TARGET_CHANGE_S,
        })
        return figures
    finally:
        await database.client.close()


async def _drop(uri: str, name: str) -> None:
    from core.db import Database

    database = Database(uri, name)
    await database.client.drop_database(name)
    await database.client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    args = parser.parse_args()
    from api import logs

    logs.configure("WARNING", as_json=False)
    figures: dict[str, Any] = machine()
    with temp_dir("ecoinspect-bench-alerts-") as tmp, database_server(tmp / "server") as server:
        name = database_name("alerts")
        figures.update(asyncio.run(_run(server.uri, name, args.enterprises)))
        if os.environ.get("MONGODB_URI"):
            asyncio.run(_drop(server.uri, name))
        figures["server"] = "MongoDB (MONGODB_URI)" if server.pid is None else "SecantusDB (embedded child process)"
    emit(figures)


if __name__ == "__main__":
    main()
