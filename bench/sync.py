"""Offline sync push against raw insert_many, and myTasks with dossier fields: latency and round trips.

    .venv/bin/python bench/sync.py [--runs 5] [--ops 500] [--requests 100] [--enterprises 2000]

Everything runs against one fresh embedded SecantusDB child process (or MONGODB_URI) and one
database, with the app in-process (httpx.ASGITransport, lifespan run, default policy packs
installed) and a pymongo CommandListener on its client (handshake/heartbeat commands ignored).

Set-up (untimed): the demo registry (``--enterprises``) and logins, policy decisions for every
enterprise (``PolicyService.redecide_all``), an orange heavy-pollution alert over Xi'an (measures and
unstaffed verification tasks), checklists for two matters (the sync one has 40 typed items), two
in-progress plans, 50 tasks of ``inspector1`` (paired with another inspector) on distinct Xi'an
enterprises, 150 noise tasks of other inspectors, 0–5 past tasks with a recorded result for each
of those enterprises (seeded), and 20 of the 50 tasks started on site through a sync push.

1. syncPush. Each run gets a fresh task (inspector1 + inspector2, status ``assigned``) and a fresh
   batch of ``--ops`` ops for inspector1: 1 ``start_task`` (at the enterprise, 8 m accuracy), then a
   seeded shuffle of ``answer_item`` (40%: one per checklist item, then edits with ``baseVersion``),
   ``record_finding`` (30%: Chinese description, legal basis, severity) and ``register_evidence``
   (the rest: photo/video/audio/document with size and SHA-256). Timed per run, interleaved:
   a. ``SyncService.push`` called directly (every op must come back APPLIED);
   b. the baseline: the ``sync_ops`` and ``field_log`` documents that push stored, read back
      (untimed) and inserted with two raw ``insert_many(ordered=True)`` calls into scratch
      collections that carry the same indexes (one sync_ops document and one log entry per op),
      outside any transaction; ``insert_many_incl_evidence`` adds a third ``insert_many`` of the
      push's evidence registrations. The baseline leaves out the push's reads (processed op ids,
      record heads, task, chain, inspection, checklist, inspector) and the rest of its
      transaction (counter findAndModify, inspection and chain inserts, task update, commit).
   c. the same kind of batch, on another fresh task, as ``syncPush`` through the app (HTTP POST,
      variables, every result APPLIED).
   One untimed warm-up run of each comes first; medians over ``--runs``. The commands of each
   direct push are counted and their driver-side durations summed by (command, collection).
   One extra push (not in the medians) runs under cProfile for the client-side hot spots.
2. myTasks(first: N) with dossier fields (``MY_TASKS``) as inspector1: the commands sent while
   serving N = 10 and N = 50 are counted (3 requests each; the last is reported), then
   ``--requests`` sequential requests of each size, interleaved (after 10 warm-up requests of
   each), give p50/p95 (``my_tasks_p95_ms`` is N = 50). If the counts differ, each
   dossier field is queried alone at both sizes to name the field whose count grows. Last, the
   bare list and each dossier field alone at N = 50 (20 requests each, p50) show where time goes.
   This part runs before part 1, whose fresh tasks of inspector1 would otherwise be the newest.

Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import hashlib
import json
import os
import pstats
import random
import signal
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, database_name, database_server, emit, log, machine, percentile, temp_dir

TARGET_RATIO = 3.0
SEED = 20240601
INSPECTOR = "inspector1"
MY_TASKS_COUNT = 50
NOISE_TASKS = 150
STARTED_TASKS = 20
FIELD_REQUESTS = 20
MEASURED_FILES = ("core/fieldwork/sync.py", "core/fieldwork/repository.py", "core/fieldwork/ops.py",
                  "api/fieldwork/loaders.py", "api/inspections/types.py", "core/inspections/repository.py")
IGNORED_COMMANDS = {"hello", "ismaster", "ping", "endsessions", "saslstart", "saslcontinue", "buildinfo"}
DOSSIER = {
    "enterprise": "enterprise { name creditCode decisions { kind outputs } }",
    "alertMeasures": "alertMeasures",
    "pastInspections": "pastInspections { taskId }",
    "checklist": "checklist { checklistId items { itemId } }",
    "inspection": "inspection { status }",
}
MY_TASKS = "{ myTasks(first: %d) { taskId status " + " ".join(DOSSIER.values()) + " } }"
SYNC_PUSH = """mutation Push($input: SyncPushInput!) {
  syncPush(input: $input) { results { opId status code seq version } userErrors { field message code } }
}"""
FINDINGS = [
    ("exceed_standard", "废水总排口化学需氧量在线监测数据超过排放标准", "《水污染防治法》第八十三条"),
    ("facility_not_running", "除尘设施未正常运行，布袋破损，现场可见无组织排放", "《大气污染防治法》第九十九条"),
    ("permit_violation", "未按排污许可证规定的频次开展自行监测，台账记录缺失", "《排污许可管理条例》第三十六条"),
    ("hazardous_waste", "危险废物贮存场所未设置识别标志，部分废矿物油桶露天堆放",
     "《固体废物污染环境防治法》第一百一十二条"),
    ("record_missing", "治理设施运行台账自上月起未填写，无法核实运行情况", "《排污许可管理条例》第三十七条"),
]
EVIDENCE = [("photo", "image/jpeg", 3_400_000, "jpg"), ("photo", "image/heic", 2_100_000, "heic"),
            ("video", "video/mp4", 48_000_000, "mp4"), ("audio", "audio/mp4", 1_200_000, "m4a"),
            ("document", "application/pdf", 640_000, "pdf")]


# --------------------------------------------------------------------------- command counting


def _command_counter() -> Any:
    from pymongo import monitoring

    class CommandCounter(monitoring.CommandListener):
        """Commands the client sends (name, collection) and their driver-side durations."""

        def __init__(self) -> None:
            self.pending: dict[int, tuple[str, str]] = {}
            self.commands: list[tuple[str, str, float]] = []  # (name, collection, ms)

        def clear(self) -> None:
            self.pending.clear()
            self.commands.clear()

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            name = event.command_name
            if name.lower() in IGNORED_COMMANDS:
                return
            target = event.command.get(name)
            collection = target if isinstance(target, str) else ""
            if name == "getMore":
                collection = str(event.command.get("collection", ""))
            self.pending[event.request_id] = (name, collection)

        def _done(self, event: Any) -> None:
            found = self.pending.pop(event.request_id, None)
            if found is not None:
                self.commands.append((found[0], found[1], event.duration_micros / 1000))

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            self._done(event)

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            self._done(event)

        def names(self) -> list[str]:
            return [f"{name} {collection}".strip() for name, collection, _ in self.commands]

        def by_kind(self) -> dict[str, dict[str, float]]:
            kinds: dict[str, dict[str, float]] = {}
            for name, collection, ms in self.commands:
                row = kinds.setdefault(f"{name} {collection}".strip(), {"n": 0, "ms": 0.0})
                row["n"] += 1
                row["ms"] = round(row["ms"] + ms, 2)
            return kinds

        def total_ms(self) -> float:
            return sum(ms for _, _, ms in self.commands)

    return CommandCounter()


# --------------------------------------------------------------------------- set-up


class Fixture:
    """The data both measurements share; built once, untimed."""

    def __init__(self, database: Any, services: Any, rng: random.Random) -> None:
        self.database = database
        self.services = services
        self.rng = rng
        self.enterprises: list[dict[str, Any]] = []  # Xi'an enterprises not used yet
        self.inspectors: list[str] = []
        self.me = ""
        self.partner = ""
        self.sync_checklist = ""
        self.sync_items: list[dict[str, Any]] = []
        self.plans: list[str] = []
        self.tasks_created = 0
        self.past_results = 0

    def take_enterprise(self) -> dict[str, Any]:
        if not self.enterprises:
            raise SystemExit("out of Xi'an enterprises: raise --enterprises")
        return self.enterprises.pop()

    async def new_task(self, *, plan_id: str, inspectors: list[str], status: str = "assigned",
                       enterprise: dict[str, Any] | None = None, created_at: datetime | None = None,
                       result: dict[str, Any] | None = None) -> str:
        from core.inspections.models import Task
        from core.inspections.repository import InspectionRepository

        e = enterprise or self.take_enterprise()
        self.tasks_created += 1
        task = Task(id=f"bench-task-{self.tasks_created:05d}-{uuid.uuid4().hex[:6]}", plan_id=plan_id,
                    draw_id=f"bench-draw:{uuid.uuid4()}", credit_code=e["credit_code"], enterprise_name=e["name"],
                    jurisdiction=e["jurisdiction"], stratum="key:green", inspectors=inspectors,
                    lead=inspectors[0] if inspectors else None, status=status, drawn_inspectors=inspectors,
                    result=result, created_at=created_at or datetime.now(UTC))
        async with self.database.start_session() as session, await session.start_transaction():
            await InspectionRepository(self.database).insert_targeted([task], session=session)
        return task.id


def _viewer(username: str, role: str, jurisdiction: str, inspector_id: str | None = None) -> Any:
    from core.accounts.models import Role, Viewer

    return Viewer(username=username, roles=frozenset({Role(role)}), jurisdictions=(jurisdiction,),
                  inspector_id=inspector_id)


def _checklist_items(count: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n in range(count):
        kind = ("yes_no", "number", "choice", "text")[n % 4]
        item: dict[str, Any] = {"id": f"item_{n:02d}", "text": f"检查项 {n + 1}：治理设施与排放口现场核查",
                                "type": kind, "legal_reference": "《排污许可管理条例》第三十四条",
                                "required": n % 5 != 4, "failed_severity": ("minor", "general", "serious")[n % 3]}
        if kind == "yes_no":
            item["pass_value"] = True
        elif kind == "number":
            item["unit"] = "mg/m³"
        elif kind == "choice":
            item["choices"] = ["running", "stopped", "idle"]
            item["pass_value"] = "running"
        items.append(item)
    return items


async def build_fixture(database: Any, services: Any, enterprises: int) -> Fixture:
    from core.demo import generator
    from core.fieldwork.checklists import ChecklistService
    from core.inspections.models import Plan, PlanStatus
    from core.inspections.repository import InspectionRepository

    rng = random.Random(SEED)
    fx = Fixture(database, services, rng)
    fx.me, fx.partner = generator.DEMO_INSPECTORS
    started = time.perf_counter()
    changed = await services.policies.redecide_all(trigger="bench")
    log(f"set-up: {changed:,} policy decisions recorded in {time.perf_counter() - started:.1f}s")

    supervisor = _viewer("supervisor1", "supervisor", "610000")
    now = datetime.now(UTC)
    alert = await services.alerts.issue(supervisor, {
        "level": "orange", "jurisdictions": ["610100"], "starts_at": now - timedelta(hours=2),
        "ends_at": now + timedelta(days=2), "source": "bench: 西安市重污染天气橙色预警"})
    log(f"set-up: orange alert over Xi'an, {alert.affected} enterprises with measures")

    matters = [m["code"] for m in generator.matters()[:2]]
    checklists = ChecklistService(database)
    await checklists.create_version(supervisor, matter=matters[0], title="日常检查（旧版）", items=_checklist_items(12))
    sync_list = await checklists.create_version(supervisor, matter=matters[0], title="日常检查",
                                                items=_checklist_items(40))
    await checklists.create_version(supervisor, matter=matters[1], title="一般排污单位检查", items=_checklist_items(20))
    fx.sync_checklist = sync_list.id
    fx.sync_items = [i.model_dump(mode="json") for i in sync_list.items]

    repository = InspectionRepository(database)
    today = now.date()
    for n, matter in enumerate(matters):
        plan = Plan(id=f"bench-plan-{n}-{uuid.uuid4().hex[:6]}", name=f"bench plan {n}", jurisdiction="610100",
                    matters=[matter], period_start=today - timedelta(days=30), period_end=today + timedelta(days=60),
                    status=PlanStatus.IN_PROGRESS, created_by="supervisor1", created_at=now - timedelta(days=30))
        await repository.insert_plan(plan)
        fx.plans.append(plan.id)

    fx.enterprises = await database["enterprises"].find(
        {"jurisdiction_path": "610100"}, {"_id": 0, "credit_code": 1, "name": 1, "jurisdiction": 1, "location": 1},
    ).to_list()
    rng.shuffle(fx.enterprises)
    staff = await database["inspectors"].find({"jurisdictions": "610100"}, {"staff_id": 1}).to_list()
    fx.inspectors = sorted(s["staff_id"] for s in staff if s["staff_id"] not in (fx.me, fx.partner))
    if len(fx.inspectors) < 2:
        raise SystemExit("the demo data has too few Xi'an inspectors")
    log(f"set-up: {len(fx.enterprises):,} Xi'an enterprises, {len(fx.inspectors) + 2} Xi'an inspectors")

    # Past inspections: 0-5 completed tasks with a recorded result per enterprise (to others).
    mine: list[tuple[str, dict[str, Any]]] = []
    past = 0
    for n in range(MY_TASKS_COUNT):
        enterprise = fx.take_enterprise()
        other = fx.partner if n % 2 else rng.choice(fx.inspectors)
        task_id = await fx.new_task(plan_id=fx.plans[n % 2], inspectors=[fx.me, other], enterprise=enterprise,
                                    created_at=now - timedelta(minutes=n))
        mine.append((task_id, enterprise))
        for k in range(rng.randint(0, 5)):
            done = today - timedelta(days=90 * (k + 1))
            result = {"outcome": rng.choice(["no_violation", "violation_found", "rectification_ordered"]),
                      "summary": "现场检查未发现明显问题" if k % 2 else "发现台账缺失，已责令改正",
                      "completed_on": done, "recorded_by": "supervisor1", "publication_due": done + timedelta(days=20)}
            await fx.new_task(plan_id=fx.plans[0], inspectors=rng.sample(fx.inspectors, 2), status="closed",
                              enterprise=enterprise, created_at=now - timedelta(days=90 * (k + 1)), result=result)
            past += 1
    for n in range(NOISE_TASKS):
        await fx.new_task(plan_id=fx.plans[n % 2], inspectors=rng.sample(fx.inspectors, 2),
                          created_at=now - timedelta(minutes=n))
    log(f"set-up: {MY_TASKS_COUNT} tasks of {INSPECTOR}, {NOISE_TASKS} noise tasks, {past} past results")

    viewer = _viewer(INSPECTOR, "inspector", "610100", fx.me)
    for task_id, enterprise in mine[:STARTED_TASKS]:
        ops, _ = build_ops(fx, task_id, enterprise, 8, random.Random(task_id))
        results = await services.sync.push(viewer, ops, device_now=datetime.now(UTC))
        bad = [r for r in results if r.status.value != "APPLIED"]
        if bad:
            raise SystemExit(f"set-up push failed: {bad[0]}")
    log(f"set-up: {STARTED_TASKS} of those tasks started on site (8 ops each)")
    fx.past_results = past
    return fx


# --------------------------------------------------------------------------- sync ops


def build_ops(fx: Fixture, task_id: str, enterprise: dict[str, Any], count: int,
              rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """``count`` ops for one inspection: start, then a seeded mix of answers, findings and evidence."""
    lon, lat = enterprise["location"]["coordinates"]
    clock = datetime.now(UTC) - timedelta(hours=3)

    def op(type_: str, payload: dict[str, Any], record_id: str | None = None,
           base_version: int | None = None) -> dict[str, Any]:
        nonlocal clock
        clock += timedelta(seconds=rng.randint(5, 20))
        place = {"lat": lat + rng.uniform(-0.0005, 0.0005), "lon": lon + rng.uniform(-0.0005, 0.0005),
                 "accuracy_m": round(rng.uniform(4, 25), 1)}
        return {"op_id": str(uuid.uuid4()), "type": type_, "task_id": task_id,
                "record_id": record_id or str(uuid.uuid4()), "base_version": base_version,
                "device_time": clock, "gps_time": clock - timedelta(seconds=rng.randint(0, 2)), "place": place,
                "payload": payload}

    inspection_id = str(uuid.uuid4())
    ops = [op("start_task", {"checklist_id": fx.sync_checklist}, record_id=inspection_id)]
    rest = count - 1
    answers, findings = round(rest * 0.4), round(rest * 0.3)
    kinds = (["answer_item"] * answers + ["record_finding"] * findings
             + ["register_evidence"] * (rest - answers - findings))
    rng.shuffle(kinds)
    answered: dict[str, tuple[str, int]] = {}  # item id → (record id, version)
    mix = collections.Counter(["start_task"])
    for kind in kinds:
        if kind == "answer_item":
            open_items = [i for i in fx.sync_items if i["id"] not in answered]
            item = open_items[0] if open_items else fx.sync_items[rng.randrange(len(fx.sync_items))]
            value = _answer_value(item, rng)
            payload = {"inspection_id": inspection_id, "item_id": item["id"], "value": value}
            if item["id"] in answered:
                record_id, version = answered[item["id"]]
                ops.append(op(kind, payload, record_id=record_id, base_version=version))
                answered[item["id"]] = (record_id, version + 1)
                mix["answer_item (edit)"] += 1
                continue
            ops.append(op(kind, payload))
            answered[item["id"]] = (ops[-1]["record_id"], 1)
        elif kind == "record_finding":
            violation, description, basis = rng.choice(FINDINGS)
            ops.append(op(kind, {"inspection_id": inspection_id, "violation_type": violation,
                                 "severity": rng.choice(["minor", "general", "serious"]),
                                 "description": f"{description}（现场编号 {rng.randint(1, 999):03d}）",
                                 "legal_basis": basis}))
        else:
            ev_kind, mime, size, ext = rng.choice(EVIDENCE)
            name = f"IMG_{rng.randint(1000, 9999)}.{ext}"
            ops.append(op(kind, {"inspection_id": inspection_id, "kind": ev_kind, "mime_type": mime,
                                 "size": size + rng.randint(0, 99_999),
                                 "sha256": hashlib.sha256(name.encode() + os.urandom(8)).hexdigest(),
                                 "file_name": name}))
        mix[kind] += 1
    return ops, dict(mix)


def _answer_value(item: dict[str, Any], rng: random.Random) -> Any:
    if item["type"] == "yes_no":
        return rng.random() < 0.8
    if item["type"] == "number":
        return round(rng.uniform(5, 120), 1)
    if item["type"] == "choice":
        return rng.choice(item["choices"])
    return rng.choice(["设施运行正常", "台账齐全", "排放口标志牌缺失", "在线监测设备已联网"])


def graphql_op(raw: dict[str, Any]) -> dict[str, Any]:
    place = raw["place"]
    return {"opId": raw["op_id"], "type": raw["type"].upper(), "taskId": raw["task_id"],
            "recordId": raw["record_id"], "baseVersion": raw["base_version"],
            "deviceTime": raw["device_time"].isoformat(), "gpsTime": raw["gps_time"].isoformat(),
            "place": {"lat": place["lat"], "lon": place["lon"], "accuracyM": place["accuracy_m"]},
            "payload": raw["payload"]}


# --------------------------------------------------------------------------- 1. sync push


async def measure_sync(fx: Fixture, counter: Any, http: Any, headers: dict[str, str], runs: int,
                       count: int) -> dict[str, Any]:
    from core.config import Settings
    from core.db import CollectionSpec
    from core.evidence.repository import COLLECTIONS as EVIDENCE_COLLECTIONS
    from core.fieldwork.repository import collections as field_collections

    database, sync = fx.database, fx.services.sync
    specs = {spec.name: spec for spec in [*field_collections(Settings()), *EVIDENCE_COLLECTIONS]}
    scratch = {name: f"bench_scratch_{name}" for name in ("sync_ops", "field_log", "evidence")}
    await database.ensure_schema([CollectionSpec(scratch[name], indexes=list(specs[name].indexes))
                                  for name in scratch])
    viewer = _viewer(INSPECTOR, "inspector", "610100", fx.me)
    rng = random.Random(SEED + 1)

    async def fresh(label: str) -> tuple[str, list[dict[str, Any]], dict[str, int]]:
        enterprise = fx.take_enterprise()
        task_id = await fx.new_task(plan_id=fx.plans[0], inspectors=[fx.me, fx.partner], enterprise=enterprise)
        ops, mix = build_ops(fx, task_id, enterprise, count, random.Random(f"{label}-{rng.random()}"))
        return task_id, ops, mix

    async def direct(profile: bool = False) -> tuple[float, str, dict[str, Any], pstats.Stats | None]:
        task_id, ops, mix = await fresh("direct")
        profiler = cProfile.Profile() if profile else None
        counter.clear()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        results = await sync.push(viewer, ops, device_now=datetime.now(UTC))
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        bad = [r for r in results if r.status.value != "APPLIED"]
        if bad or len(results) != len(ops):
            raise SystemExit(f"push: {len(bad)} ops not APPLIED, first: {bad[0] if bad else None}")
        info = {"commands": len(counter.commands), "db_ms": counter.total_ms(), "by_kind": counter.by_kind(),
                "mix": mix}
        return seconds, task_id, info, pstats.Stats(profiler) if profiler else None

    async def baseline(task_id: str) -> tuple[float, float, dict[str, int]]:
        docs = {name: await database[name].find({"task_id": task_id}).to_list() for name in scratch}
        started = time.perf_counter()
        await database[scratch["sync_ops"]].insert_many(docs["sync_ops"], ordered=True)
        await database[scratch["field_log"]].insert_many(docs["field_log"], ordered=True)
        core_s = time.perf_counter() - started
        started = time.perf_counter()
        if docs["evidence"]:
            await database[scratch["evidence"]].insert_many(docs["evidence"], ordered=True)
        evidence_s = time.perf_counter() - started
        return core_s, core_s + evidence_s, {name: len(found) for name, found in docs.items()}

    body_bytes: list[int] = []

    async def through_app() -> float:
        _, ops, _ = await fresh("graphql")
        body = {"query": SYNC_PUSH, "variables": {"input": {"deviceNow": datetime.now(UTC).isoformat(),
                                                            "ops": [graphql_op(o) for o in ops]}}}
        body_bytes.append(len(json.dumps(body).encode()))
        started = time.perf_counter()
        answer = await http.post("/graphql", json=body, headers=headers)
        payload = answer.json()
        seconds = time.perf_counter() - started
        data = (payload.get("data") or {}).get("syncPush") or {}
        statuses = collections.Counter(r["status"] for r in data.get("results", []))
        if answer.status_code != 200 or payload.get("errors") or data.get("userErrors") or \
                statuses.get("APPLIED") != len(ops):
            raise SystemExit(f"syncPush through the app failed: {answer.status_code} {answer.text[:500]}")
        return seconds

    log(f"sync: warm-up (one untimed run of each), then {runs} interleaved runs of {count} ops")
    _, warm_task, _, _ = await direct()
    await baseline(warm_task)
    await through_app()
    push_s, base_s, base_all_s, app_s, infos = [], [], [], [], []
    sizes: dict[str, int] = {}
    for run in range(runs):
        seconds, task_id, info, _ = await direct()
        core, full, sizes = await baseline(task_id)
        app = await through_app()
        push_s.append(seconds)
        base_s.append(core)
        base_all_s.append(full)
        app_s.append(app)
        infos.append(info)
        log(f"sync run {run + 1}/{runs}: push {seconds * 1000:.0f} ms ({info['commands']} commands, "
            f"{info['db_ms']:.0f} ms in them), insert_many {core * 1000:.0f} ms "
            f"(+evidence {full * 1000:.0f} ms), syncPush via app {app * 1000:.0f} ms")
    log("sync: one more push under cProfile (not in the medians)")
    _, _, _, stats = await direct(profile=True)
    hot = _hot_spots(stats) if stats else []
    for line in hot:
        log(f"  profile: {line}")

    ms = 1000.0
    push_med, base_med = statistics.median(push_s), statistics.median(base_s)
    median_run = infos[push_s.index(sorted(push_s)[(len(push_s) - 1) // 2])]
    return {
        "sync_ops_per_push": count,
        "sync_op_mix": infos[0]["mix"],
        "sync_runs": runs,
        "push_ms_median": round(push_med * ms, 1),
        "push_ms_runs": [round(s * ms, 1) for s in push_s],
        "insert_many_ms_median": round(base_med * ms, 1),
        "insert_many_ms_runs": [round(s * ms, 1) for s in base_s],
        "insert_many_docs": {"sync_ops": sizes.get("sync_ops"), "field_log": sizes.get("field_log")},
        "ratio_vs_insert_many": round(push_med / base_med, 2),
        "target_ratio": TARGET_RATIO,
        "insert_many_incl_evidence_ms_median": round(statistics.median(base_all_s) * ms, 1),
        "insert_many_incl_evidence_docs": sizes.get("evidence"),
        "ratio_vs_insert_many_incl_evidence": round(push_med / statistics.median(base_all_s), 2),
        "graphql_push_ms_median": round(statistics.median(app_s) * ms, 1),
        "graphql_push_ms_runs": [round(s * ms, 1) for s in app_s],
        "graphql_ratio_vs_insert_many": round(statistics.median(app_s) / base_med, 2),
        "graphql_push_body_bytes": body_bytes[-1],
        "graphql_ratio_vs_push": round(statistics.median(app_s) / push_med, 2),
        "push_db_commands": median_run["commands"],
        "push_db_commands_runs": [i["commands"] for i in infos],
        "push_db_command_ms_runs": [round(i["db_ms"], 1) for i in infos],
        "push_find_sync_ops_ms_runs": [i["by_kind"].get("find sync_ops", {}).get("ms") for i in infos],
        "push_find_field_log_ms_runs": [i["by_kind"].get("find field_log", {}).get("ms") for i in infos],
        "push_client_ms_runs": [round(s * ms - i["db_ms"], 1) for s, i in zip(push_s, infos, strict=True)],
        "push_commands_median_run": median_run["by_kind"],
        "push_profile_top": hot,
    }


def _hot_spots(stats: pstats.Stats, top: int = 12) -> list[str]:
    """The functions with the most own (tottime) time in the profiled push, as short strings."""
    rows = []
    for (path, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        shown = Path(path)
        if shown.is_relative_to(ROOT):
            shown = shown.relative_to(ROOT)
        elif shown.parent.name:
            shown = Path(shown.parent.name) / shown.name
        where = f"{shown}:{line}({name})" if line else name
        rows.append((tottime, cumtime, calls, where))
    rows.sort(reverse=True)
    return [f"{where} calls={calls} own={tottime * 1000:.1f}ms cum={cumtime * 1000:.1f}ms"
            for tottime, cumtime, calls, where in rows[:top]]


# --------------------------------------------------------------------------- 2. myTasks


async def measure_my_tasks(counter: Any, http: Any, headers: dict[str, str], requests: int) -> dict[str, Any]:
    async def ask(query: str, expect: int | None = None) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        answer = await http.post("/graphql", json={"query": query}, headers=headers)
        payload = answer.json()
        seconds = time.perf_counter() - started
        tasks = (payload.get("data") or {}).get("myTasks")
        if answer.status_code != 200 or payload.get("errors") or tasks is None or \
                (expect is not None and len(tasks) != expect):
            raise SystemExit(f"myTasks failed: {answer.status_code} {answer.text[:500]}")
        return seconds, payload

    figures: dict[str, Any] = {"my_tasks_query": MY_TASKS % MY_TASKS_COUNT}
    commands: dict[int, list[str]] = {}
    for first in (10, MY_TASKS_COUNT):
        counts = []
        for _ in range(3):
            counter.clear()
            _, payload = await ask(MY_TASKS % first, expect=first)
            counts.append(len(counter.commands))
        commands[first] = counter.names()
        figures[f"db_round_trips_{first}"] = counts[-1]
        figures[f"db_round_trips_{first}_runs"] = counts
        figures[f"db_commands_{first}"] = dict(collections.Counter(commands[first]))
        tasks = payload["data"]["myTasks"]
        figures[f"dossier_rows_{first}"] = {
            "decisions": sum(len((t["enterprise"] or {}).get("decisions") or []) for t in tasks),
            "alertMeasures": sum(len(t["alertMeasures"] or []) for t in tasks),
            "pastInspections": sum(len(t["pastInspections"]) for t in tasks),
            "checklists": sum(1 for t in tasks if t["checklist"]),
            "inspections": sum(1 for t in tasks if t["inspection"])}
        log(f"myTasks(first: {first}): {counts} commands per request: {figures[f'db_commands_{first}']}")
    equal = figures["db_round_trips_10"] == figures[f"db_round_trips_{MY_TASKS_COUNT}"]
    figures["round_trips_equal"] = equal
    if not equal:
        per_field: dict[str, list[int]] = {}
        for name, selection in DOSSIER.items():
            row = []
            for first in (10, MY_TASKS_COUNT):
                counter.clear()
                await ask(f"{{ myTasks(first: {first}) {{ taskId {selection} }} }}", expect=first)
                row.append(len(counter.commands))
            per_field[name] = row
        figures["round_trips_by_field_10_vs_50"] = per_field
        figures["round_trips_growing_fields"] = [n for n, (a, b) in per_field.items() if a != b]
        extra = collections.Counter(commands[MY_TASKS_COUNT]) - collections.Counter(commands[10])
        figures["round_trips_extra_commands_at_50"] = dict(extra)
        log(f"round trips differ; per field (10 vs {MY_TASKS_COUNT}): {per_field}; extra at "
            f"{MY_TASKS_COUNT}: {dict(extra)}")

    for first in (10, MY_TASKS_COUNT):
        for _ in range(10):
            await ask(MY_TASKS % first, expect=first)
    log(f"myTasks: {requests} sequential requests each of first: 10 and first: {MY_TASKS_COUNT} (interleaved)")
    times: dict[int, list[float]] = {10: [], MY_TASKS_COUNT: []}
    for _ in range(requests):
        for first in times:
            seconds, _ = await ask(MY_TASKS % first, expect=first)
            times[first].append(seconds * 1000)
    for first, values in times.items():
        suffix = "" if first == MY_TASKS_COUNT else f"_first_{first}"
        figures[f"my_tasks_p50_ms{suffix}"] = round(percentile(values, 50), 1)
        figures[f"my_tasks_p95_ms{suffix}"] = round(percentile(values, 95), 1)
        figures[f"my_tasks_max_ms{suffix}"] = round(max(values), 1)
    figures["my_tasks_requests"] = requests
    # Where the time goes: the bare list and each dossier field alone (the loaders run concurrently,
    # so summed command durations would overlap; these are wall-clock request times).
    by_field: dict[str, float] = {}
    for name, selection in {"bare": "", **DOSSIER}.items():
        query = f"{{ myTasks(first: {MY_TASKS_COUNT}) {{ taskId status {selection} }} }}"
        values = [(await ask(query, expect=MY_TASKS_COUNT))[0] * 1000 for _ in range(FIELD_REQUESTS)]
        by_field[name] = round(percentile(values, 50), 1)
    figures[f"my_tasks_p50_ms_by_field_first_{MY_TASKS_COUNT}"] = by_field
    log(f"myTasks(first: {MY_TASKS_COUNT}) p50 per dossier field alone ({FIELD_REQUESTS} requests each): {by_field}")
    return figures


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import httpx
    from asgi_lifespan import LifespanManager

    from api.app import create_app, prepare
    from core.config import Settings
    from core.db import Database
    from core.demo.loader import load_demo
    from core.demo.users import DEMO_PASSWORD

    counter = _command_counter()
    figures: dict[str, Any] = {}
    with database_server(tmp / "server") as server:
        settings = Settings(data_dir=tmp / "server", log_level="WARNING", log_json=False)
        name = database_name("sync")
        database = Database(server.uri, name, event_listeners=[counter])
        try:
            await prepare(database)
            started = time.perf_counter()
            log(f"set-up: loading {args.enterprises:,} demo enterprises")
            await load_demo(database, settings, enterprises=args.enterprises)
            log(f"set-up: demo loaded in {time.perf_counter() - started:.1f}s")
            app = create_app(settings, database=database)
            async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://bench",
                                      timeout=120.0) as http:
                services = _find_services(app)
                started = time.perf_counter()
                fx = await build_fixture(database, services, args.enterprises)
                log(f"set-up: fixture built in {time.perf_counter() - started:.1f}s")
                figures["setup_past_results"] = fx.past_results
                response = await http.post("/auth/token", data={"username": INSPECTOR, "password": DEMO_PASSWORD})
                response.raise_for_status()
                headers = {"authorization": f"Bearer {response.json()['access_token']}",
                           "accept": "application/graphql-response+json"}
                # myTasks first: the sync runs add tasks of inspector1 that would then be the newest.
                figures.update(await measure_my_tasks(counter, http, headers, args.requests))
                figures.update(await measure_sync(fx, counter, http, headers, args.runs, args.ops))
        finally:
            if os.environ.get("MONGODB_URI"):
                await database.client.drop_database(name)
            await database.client.close()
    return figures


def _find_services(app: Any) -> Any:
    """The Services of the app under its middleware (create_app wraps the Starlette app)."""
    current = app
    for _ in range(10):
        state = getattr(current, "state", None)
        if state is not None and hasattr(state, "services"):
            return state.services
        current = getattr(current, "app", None)
        if current is None:
            break
    raise SystemExit("cannot find the app's services")


def _versions() -> dict[str, str]:
    """Others may edit the code while this runs: name the versions of the files measured."""
    return {path: hashlib.sha256((ROOT / path).read_bytes()).hexdigest()[:12] for path in MEASURED_FILES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed pushes of each kind (default 5)")
    parser.add_argument("--ops", type=int, default=500, help="ops per push (default 500, the server's limit)")
    parser.add_argument("--requests", type=int, default=100, help="timed myTasks requests per size (default 100)")
    parser.add_argument("--enterprises", type=int, default=2000, help="demo enterprises (default 2,000)")
    args = parser.parse_args()
    if args.runs < 1 or args.requests < 1 or not 2 <= args.ops <= 500:
        parser.error("--runs and --requests must be at least 1, --ops within [2, 500]")
    # A plain SIGTERM would skip the clean-up (server, temp files); make it an exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from api import logs

    logs.configure("WARNING", as_json=False)
    wall = time.perf_counter()
    versions = _versions()
    figures: dict[str, Any] = {"benchmark": "sync", **machine(),
                               "server": "MongoDB (MONGODB_URI)" if os.environ.get("MONGODB_URI")
                               else "SecantusDB (embedded child process)"}
    with temp_dir("ecoinspect-bench-sync-") as tmp:
        figures.update(asyncio.run(run(args, tmp)))
    figures["wall_s"] = round(time.perf_counter() - wall, 1)
    figures["measured_files_sha256"] = versions
    figures["measured_files_changed_during_run"] = [p for p, v in _versions().items() if versions[p] != v]
    figures["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    emit(figures)


if __name__ == "__main__":
    main()
