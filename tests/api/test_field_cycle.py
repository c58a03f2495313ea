"""Field work end to end over HTTP on realistic data: checklist, dossier, offline sync, sign-off, evidence, record, oversight.

A province supervisor imports two Xi'an enterprises, keeps the matter's checklist, issues an orange alert and
draws this year's plan; both Xi'an inspectors are assigned to both tasks (a third inspector joins the office
after the draw). Inspector 1 pulls the dossiers, records offline and pushes; both sign with their own logins.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from conftest import enterprise_row
from PIL import Image, ImageDraw
from pypdf import PdfReader

from api.app import create_app
from core.accounts.models import Role
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database
from core.demo import generator
from core.fieldwork.chain import verify_task
from core.registry.importing import import_inspectors
from core.registry.models import Matter
from core.registry.repository import MatterRepository
from core.registry.rows import ENTERPRISE_COLUMNS

PASSWORD = "field-work-passw0rd"
MATTER = "STJ-WRY-02"  # 一般排污单位日常环境监管随机抽查 (demo item list)
INSPECTOR = {"inspector1": "SX-610100-0001", "inspector2": "SX-610100-0002", "inspector3": "SX-610100-0003"}
CHEMICAL = enterprise_row("91610111MF0000101", name="西安市灞桥区清源化工有限公司", industry_code="2614",
                          address="陕西省西安市灞桥区纺织城东路88号", lat="34.275012", lon="109.064321")
DYEWORKS = enterprise_row("91610113MF0000102", name="西安市雁塔区明德印染有限公司", industry_code="1713",
                          address="陕西省西安市雁塔区电子二路12号", lat="34.221", lon="108.912")
ITEMS = [
    {"itemId": "permit_posted", "text": "排污许可证正本是否在生产经营场所显著位置悬挂", "type": "yes_no",
     "passValue": True, "legalReference": "《排污许可管理条例》第十九条", "failedSeverity": "minor"},
    {"itemId": "outlet_cod", "text": "废水总排口 COD 快速检测值", "type": "number", "unit": "mg/L",
     "required": False, "legalReference": "GB 8978-1996"},
    {"itemId": "treatment_state", "text": "废气治理设施运行状态", "type": "choice",
     "choices": ["running", "stopped", "idle"], "passValue": "running", "failedSeverity": "serious",
     "legalReference": "《大气污染防治法》第二十条"},
    {"itemId": "site_notes", "text": "现场其他情况", "type": "text", "required": False},
]
PUSH = """mutation($i: SyncPushInput!) { syncPush(input: $i) {
  results { opId status code message recordId version seq } userErrors { code } } }"""
PULL = """query($s: Int!) { syncPull(since: $s, first: 200) {
  changes { seq taskId inspectionId recordId kind version body author deleted } purge nextSince hasMore } }"""
DOSSIER = """query($d: Date) { myTasks(first: 10, status: [ASSIGNED], since: $d) {
  taskId creditCode enterpriseName inspectors status
  enterprise { name decisions { kind } }
  checklist { checklistId items { itemId } }
  alertMeasures
  pastInspections { taskId result { outcome } }
  inspection { status } } }"""
INSPECTION = """{ myTasks(first: 10) { taskId status inspection { inspectionId status supersedes supersededBy
  checklistId answers findings evidence signatures party flags } } }"""


def jpeg_photo() -> bytes:
    image = Image.new("RGB", (320, 240), (96, 128, 80))
    ImageDraw.Draw(image).rectangle((40, 60, 200, 180), fill=(160, 150, 140))  # the storage shed
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_signature() -> bytes:
    image = Image.new("L", (240, 80), 255)
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 55), (170, 15), (230, 50)], fill=0, width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass
class World:
    http: httpx.AsyncClient
    asgi: Any
    tokens: dict[str, str]
    checklist_id: str
    plan_id: str
    tasks: dict[str, str]  # credit code → task id of this year's plan
    past_task: str
    alert_id: str
    database: Database

    async def gql(self, user: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                        headers={"authorization": f"Bearer {self.tokens[user]}",
                                                 "accept": "application/graphql-response+json"})
        assert response.status_code in (200, 400), response.text
        return dict(response.json())

    async def data(self, user: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.gql(user, query, variables)
        assert not result.get("errors"), result
        return dict(result["data"])

    async def push(self, user: str, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result = await self.data(user, PUSH, {"i": {"deviceNow": datetime.now(UTC).isoformat(), "ops": ops}})
        assert result["syncPush"]["userErrors"] == [], result
        return list(result["syncPush"]["results"])

    async def pull(self, user: str, since: int = 0) -> dict[str, Any]:
        return dict((await self.data(user, PULL, {"s": since}))["syncPull"])

    async def inspection(self, user: str, task_id: str) -> dict[str, Any] | None:
        tasks = (await self.data(user, INSPECTION))["myTasks"]
        [task] = [t for t in tasks if t["taskId"] == task_id]
        return task["inspection"]

    async def task_status(self, task_id: str) -> str:
        tasks = (await self.data("supervisor1", "query($p: String!) { planTasks(planId: $p) { taskId status } }",
                                 {"p": self.plan_id}))["planTasks"]
        return str(next(t["status"] for t in tasks if t["taskId"] == task_id))

    @property
    def evidence_routes(self) -> bool:
        """Whether api/app.py mounts the resumable evidence upload (api/http/evidence.py EVIDENCE_ROUTES)."""
        return any(getattr(r, "path", "") == "/evidence/{evidence_id}" for r in self.asgi.app.router.routes)


class Device:
    """An inspector's phone: records ops offline (a minute apart, from the start time on) for one task."""

    def __init__(self, task_id: str, site: dict[str, str], started: datetime) -> None:
        self.task_id = task_id
        self.place = {"lat": float(site["lat"]) + 0.0004, "lon": float(site["lon"]), "accuracyM": 6.0}  # 45 m off
        self.at = started
        self.inspection_id = ""

    def op(self, type_: str, payload: dict[str, Any] | None = None, *, record_id: str | None = None,
           base_version: int | None = None) -> dict[str, Any]:
        self.at += timedelta(minutes=1)
        body = dict(payload or {})
        if type_ not in ("start_task", "correct_task"):
            body.setdefault("inspection_id", self.inspection_id)
        return {"opId": str(uuid.uuid4()), "type": type_.upper(), "taskId": self.task_id,
                "recordId": record_id or str(uuid.uuid4()), "baseVersion": base_version,
                "deviceTime": self.at.isoformat(), "gpsTime": (self.at - timedelta(seconds=2)).isoformat(),
                "place": self.place, "payload": body}

    def start(self, checklist_id: str) -> dict[str, Any]:
        begin = self.op("start_task", {"checklist_id": checklist_id})
        self.inspection_id = begin["recordId"]
        return begin

    def answer(self, item: str, value: Any, **kwargs: Any) -> dict[str, Any]:
        return self.op("answer_item", {"item_id": item, "value": value}, **kwargs)

    def evidence(self, data: bytes, mime: str, name: str) -> dict[str, Any]:
        return self.op("register_evidence", {"kind": "photo", "mime_type": mime, "size": len(data),
                                             "sha256": hashlib.sha256(data).hexdigest(), "file_name": name})


def statuses(results: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(r["status"], r["code"]) for r in results]


# -- the world ---------------------------------------------------------------------------------------------------


async def _plan(world: World, name: str, start: str, end: str, industries: list[str]) -> str:
    created = await world.data("supervisor1", """mutation($i: CreatePlanInput!) { createPlan(input: $i) {
      plan { planId } userErrors { code } } }""", {"i": {
        "name": name, "jurisdiction": "610100", "matters": [MATTER], "periodStart": start, "periodEnd": end,
        "industryCodes": industries, "ratios": [{"stratum": s, "ratio": 1.0} for s in ("special", "key", "general")]}})
    plan_id = str(created["createPlan"]["plan"]["planId"])
    for step in ("freezePlan", "drawPlan"):
        value = ', publicValue: "1 2 3 4 5"' if step == "drawPlan" else ""
        done = await world.data("supervisor1", f"mutation($p: String!) {{ {step}(input: {{planId: $p{value}}}) "
                                               "{ userErrors { code } } }", {"p": plan_id})
        assert done[step]["userErrors"] == [], done
    return plan_id


async def _plan_tasks(world: World, plan_id: str) -> dict[str, dict[str, Any]]:
    tasks = await world.data("supervisor1", "query($p: String!) { planTasks(planId: $p) { taskId creditCode "
                                            "inspectors status } }", {"p": plan_id})
    return {t["creditCode"]: t for t in tasks["planTasks"]}


def _staff_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                    + "".join(f"{s},{n},{c},2099-12-31,610100\n" for s, n, c in rows), encoding="utf-8")
    return path


@pytest.fixture
async def world(database: Database, settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    accounts = AccountService(database, settings)
    await accounts.create_user(username="supervisor1", password=PASSWORD, roles=[Role.SUPERVISOR],
                               jurisdictions=["610000"])
    for username, staff_id in INSPECTOR.items():
        await accounts.create_user(username=username, password=PASSWORD, roles=[Role.INSPECTOR],
                                   jurisdictions=["610100"], inspector_id=staff_id)
    staff = [("SX-610100-0001", "张伟", "61010020180123"), ("SX-610100-0002", "李娜", "61010020190456")]
    assert (await import_inspectors(database, _staff_csv(tmp_path / "staff.csv", staff))).inserted == 2
    await MatterRepository(database).upsert_many([Matter.model_validate(m) for m in generator.matters()])
    asgi = create_app(settings, database=database)
    async with LifespanManager(asgi, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            tokens = {}
            for username in ("supervisor1", *INSPECTOR):
                response = await http.post("/auth/token", data={"username": username, "password": PASSWORD})
                assert response.status_code == 200, response.text
                tokens[username] = response.json()["access_token"]
            made = World(http=http, asgi=asgi, tokens=tokens, checklist_id="", plan_id="", tasks={}, past_task="",
                         alert_id="", database=database)
            await _build(made)
            # A third inspector joins the office after the draw: linked, certified, on no task.
            third = [("SX-610100-0003", "王强", "61010020200789")]
            assert (await import_inspectors(database, _staff_csv(tmp_path / "third.csv", third))).inserted == 1
            yield made


async def _build(world: World) -> None:
    content = io.StringIO()
    writer = csv.DictWriter(content, fieldnames=ENTERPRISE_COLUMNS)
    writer.writeheader()
    writer.writerows([CHEMICAL, DYEWORKS])
    imported = await world.data("supervisor1", """mutation($c: String!) { importEnterprises(input: {format: CSV,
      content: $c}) { result { inserted errors { code } } userErrors { code } } }""", {"c": content.getvalue()})
    assert imported["importEnterprises"]["result"] == {"inserted": 2, "errors": []}, imported
    created = await world.data("supervisor1", """mutation($i: CreateChecklistVersionInput!) {
      createChecklistVersion(input: $i) { checklist { checklistId version items { itemId } } userErrors { code } } }""",
                               {"i": {"matter": MATTER, "title": "一般排污单位现场检查表", "items": ITEMS}})
    checklist = created["createChecklistVersion"]["checklist"]
    assert checklist["checklistId"] == f"{MATTER}:v1" and len(checklist["items"]) == 4, created
    world.checklist_id = checklist["checklistId"]
    # Last year's check of the chemical plant, with its result: the dossier's past inspection.
    year = datetime.now(UTC).year
    past_plan = await _plan(world, f"{year - 1}年第四季度随机抽查", f"{year - 1}-10-01", f"{year - 1}-12-31", ["2614"])
    [past] = (await _plan_tasks(world, past_plan)).values()
    # Inspected last December (the field cycle of this year's plan below goes through sync).
    await world.database["tasks"].update_one({"_id": past["taskId"]}, {"$set": {"status": "submitted"}})
    recorded = await world.data("supervisor1", """mutation($t: String!, $d: Date!) { recordTaskResult(input: {
      taskId: $t, outcome: NO_VIOLATION, summary: "未发现环境违法问题", completedOn: $d}) { userErrors { code } } }""",
                                {"t": past["taskId"], "d": f"{year - 1}-12-15"})
    assert recorded["recordTaskResult"]["userErrors"] == [], recorded
    world.past_task = past["taskId"]
    now = datetime.now(UTC)
    alert = await world.data("supervisor1", """mutation($i: IssueAlertInput!) { issueAlert(input: $i) {
      alert { alertId } userErrors { code } } }""", {"i": {
        "level": "orange", "jurisdictions": ["610100"], "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(days=3)).isoformat(), "source": "西安市重污染天气应急指挥部"}})
    world.alert_id = alert["issueAlert"]["alert"]["alertId"]
    world.plan_id = await _plan(world, f"{year}年一般排污单位随机抽查", f"{year}-01-01", f"{year}-12-31", [])
    tasks = await _plan_tasks(world, world.plan_id)
    assert set(tasks) == {CHEMICAL["credit_code"], DYEWORKS["credit_code"]}
    assert all(sorted(t["inspectors"]) == ["SX-610100-0001", "SX-610100-0002"] for t in tasks.values()), tasks
    world.tasks = {code: t["taskId"] for code, t in tasks.items()}


# -- the dossier ------------------------------------------------------------------------------------------------


async def test_checklist_versions_and_the_dossier(world: World) -> None:
    chemical, dyeworks = world.tasks[CHEMICAL["credit_code"]], world.tasks[DYEWORKS["credit_code"]]
    revised = await world.data("supervisor1", """mutation($i: CreateChecklistVersionInput!) {
      createChecklistVersion(input: $i) { checklist { checklistId version } userErrors { code } } }""",
                               {"i": {"matter": MATTER, "title": "一般排污单位现场检查表（修订）", "items": ITEMS[:3]}})
    assert revised["createChecklistVersion"] == {"checklist": {"checklistId": f"{MATTER}:v2", "version": 2},
                                                 "userErrors": []}
    refused = await world.data("supervisor1", """mutation($i: CreateChecklistVersionInput!) {
      createChecklistVersion(input: $i) { checklist { checklistId } userErrors { code } } }""",
                               {"i": {"matter": MATTER, "title": "x", "items": [{**ITEMS[1], "unit": ""}]}})
    assert refused["createChecklistVersion"]["checklist"] is None and refused["createChecklistVersion"]["userErrors"]
    latest = await world.data("inspector1", "{ checklist(matter: \"STJ-WRY-02\") { checklistId title } }")
    assert latest["checklist"] == {"checklistId": f"{MATTER}:v2", "title": "一般排污单位现场检查表（修订）"}

    today = datetime.now(UTC).date().isoformat()
    dossier = {t["taskId"]: t for t in (await world.data("inspector1", DOSSIER, {"d": today}))["myTasks"]}
    assert set(dossier) == {chemical, dyeworks}  # not last year's closed task, not the alert's unstaffed tasks
    plant = dossier[chemical]
    assert plant["enterprise"]["name"] == CHEMICAL["name"] == plant["enterpriseName"]
    assert sorted(d["kind"] for d in plant["enterprise"]["decisions"]) == ["positive_list", "supervision_class"]
    assert plant["checklist"] == {"checklistId": f"{MATTER}:v2",
                                  "items": [{"itemId": i["itemId"]} for i in ITEMS[:3]]}
    assert [(m["alertId"], m["level"]) for m in plant["alertMeasures"]] == [(world.alert_id, "orange")]
    assert plant["pastInspections"] == [{"taskId": world.past_task, "result": {"outcome": "NO_VIOLATION"}}]
    assert plant["inspection"] is None and plant["status"] == "ASSIGNED"
    assert dossier[dyeworks]["pastInspections"] == [] and dossier[dyeworks]["enterprise"]["name"] == DYEWORKS["name"]
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert (await world.data("inspector1", DOSSIER, {"d": tomorrow}))["myTasks"] == []
    assert (await world.data("inspector3", DOSSIER, {"d": today}))["myTasks"] == []  # on no task

    empty = await world.pull("inspector1")
    assert empty == {"changes": [], "purge": [], "nextSince": 0, "hasMore": False}


@pytest.mark.parametrize("item", [
    {"itemId": "treatment_state", "text": "治理设施运行状态", "type": "choice", "choices": ["running", "stopped"],
     "passValue": "normal"},
    {"itemId": "permit_posted", "text": "许可证悬挂", "type": "yes_no", "passValue": "yes"},
])
async def test_a_checklist_refuses_a_pass_value_no_answer_can_take(world: World, item: dict[str, Any]) -> None:
    result = await world.data("supervisor1", """mutation($i: CreateChecklistVersionInput!) {
      createChecklistVersion(input: $i) { checklist { checklistId } userErrors { code } } }""",
                              {"i": {"matter": MATTER, "title": "有误的检查表", "items": [item]}})
    latest = await world.data("inspector1", "{ checklist(matter: \"STJ-WRY-02\") { checklistId } }")
    assert result["createChecklistVersion"]["checklist"] is None and latest["checklist"]["checklistId"] == (
        f"{MATTER}:v1"), (
        f"BUG: core/fieldwork/models.py ChecklistItem accepts passValue {item['passValue']!r} for a {item['type']} "
        "item, which no valid answer can equal (accepts() refuses it): every answer to the item is then recorded "
        f"as failed; expected a userError (INVALID_VALUE). Got {result}")


# -- record, replay, sign, submit, evidence, the printed record, correction -------------------------------------


async def test_offline_record_to_submission(world: World, database: Database) -> None:
    task = world.tasks[CHEMICAL["credit_code"]]
    photo, signature = jpeg_photo(), png_signature()
    phone = Device(task, CHEMICAL, datetime.now(UTC) - timedelta(hours=1))
    begin = phone.start(world.checklist_id)
    photo_op = phone.evidence(photo, "image/jpeg", "IMG_20250603_0931.jpg")
    signature_op = phone.evidence(signature, "image/png", "party-signature.png")
    finding = phone.op("record_finding", {
        "violation_type": "fugitive_emission", "severity": "general", "description": "危废暂存间门未关闭，有明显异味",
        "legal_basis": "《大气污染防治法》第四十八条"})
    batch = [begin, phone.answer("permit_posted", True), phone.answer("outlet_cod", 38.5),
             phone.answer("treatment_state", "running"), finding, photo_op, signature_op,
             phone.op("record_party", {"name": "王建国", "refused": False,
                                       "signature_evidence_id": signature_op["recordId"]})]

    first = await world.push("inspector1", batch)
    assert statuses(first) == [("APPLIED", None)] * len(batch), first
    assert [r["opId"] for r in first] == [o["opId"] for o in batch] and all(r["version"] == 1 for r in first)
    seqs = [r["seq"] for r in first]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    again = await world.push("inspector1", batch)  # the app never heard back, and sends everything again
    assert statuses(again) == [("REPLAYED", None)] * len(batch) and [r["seq"] for r in again] == seqs
    pulled = await world.pull("inspector2")
    assert [c["recordId"] for c in pulled["changes"]] == [o["recordId"] for o in batch]  # nothing twice
    assert pulled["changes"][0]["author"] == "inspector1" and not pulled["hasMore"]
    assert await world.task_status(task) == "IN_PROGRESS"

    # A flaky network: the same two ops pushed twice at once. Each is written once.
    extra = [phone.answer("site_notes", "厂区东侧雨水排口干燥，无排水"),
             phone.op("record_finding", {"violation_type": "other", "severity": "minor",
                                         "description": "危废标识牌褪色"})]
    racing = await asyncio.gather(world.push("inspector1", extra), world.push("inspector1", extra))
    assert sorted(statuses(r)[0][0] for r in racing) == ["APPLIED", "REPLAYED"], racing
    assert all(len({s for s, _ in statuses(r)}) == 1 for r in racing)  # a push is all or nothing
    later = await world.pull("inspector2", pulled["nextSince"])
    assert [c["recordId"] for c in later["changes"]] == [o["recordId"] for o in extra]

    # Sign-off: each inspector with their own login.
    signed = await world.push("inspector1", [phone.op("sign", {"staff_id": "SX-610100-0002"})])
    assert statuses(signed) == [("APPLIED", None)]
    current = await world.inspection("inspector1", task)
    assert current is not None and list(current["signatures"]) == ["SX-610100-0001"]  # not B's, whatever it says
    assert current["signatures"]["SX-610100-0001"]["certificate_number"] == "61010020180123"
    twice = await world.push("inspector1", [phone.op("sign")])
    assert statuses(twice) == [("REJECTED", "ALREADY_SIGNED")]
    early = await world.push("inspector1", [phone.op("submit_task")])
    assert statuses(early) == [("REJECTED", "SIGNATURES_MISSING")] and "SX-610100-0002" in early[0]["message"]
    outsider = await world.push("inspector3", [phone.op("sign")])
    assert statuses(outsider) == [("REJECTED", "NOT_FOUND")]  # not on the task: it does not exist for them
    assert (await world.pull("inspector3"))["changes"] == []
    colleague = Device(task, CHEMICAL, phone.at)
    colleague.inspection_id = phone.inspection_id
    assert statuses(await world.push("inspector2", [colleague.op("sign")])) == [("APPLIED", None)]
    submitted = await world.push("inspector1", [phone.op("submit_task")])
    assert statuses(submitted) == [("APPLIED", None)]
    current = await world.inspection("inspector1", task)
    assert current is not None and current["status"] == "awaiting_evidence"  # two files still to upload
    assert sorted(current["signatures"]) == ["SX-610100-0001", "SX-610100-0002"]
    assert current["evidence"] == {photo_op["recordId"]: "pending", signature_op["recordId"]: "pending"}
    assert current["party"]["name"] == "王建国" and current["party"]["refused"] is False
    # Signed off: the submission recorded the task's result (with the finding), which closes the task.
    assert await world.task_status(task) == "CLOSED"
    result = (await world.data("supervisor1", "query($p: String!) { planTasks(planId: $p) { taskId result { outcome "
                                              "summary } } }", {"p": world.plan_id}))["planTasks"]
    assert [r["result"]["outcome"] for r in result if r["taskId"] == task] == ["VIOLATION_FOUND"], result
    pending = (await world.data("supervisor1", "{ pendingEvidence }"))["pendingEvidence"]
    assert sorted(p["evidenceId"] for p in pending) == sorted([photo_op["recordId"], signature_op["recordId"]])
    progress = (await world.data("supervisor1", "query($p: String) { fieldProgress(planId: $p) { total byStatus "
                                                "awaitingEvidence pendingEvidence } }", {"p": world.plan_id}))
    assert progress["fieldProgress"] == {"total": 2, "byStatus": {"closed": 1, "assigned": 1},
                                         "awaitingEvidence": 1, "pendingEvidence": 2}

    await _upload_evidence(world, task, [(photo_op["recordId"], photo), (signature_op["recordId"], signature)])
    chain = await verify_task(database, task)  # what `ecoinspect verify-task` reports
    assert (chain.intact, chain.entries, chain.evidence_checked) == (True, len(batch) + len(extra) + 3, 2), chain
    await _printed_record(world, task, photo, chain.head)

    # Read-only once submitted: a correction is a new inspection.
    answer = batch[1]
    edit = await world.push("inspector1", [phone.answer("permit_posted", False, record_id=answer["recordId"],
                                                        base_version=1),
                                           phone.op("record_finding", {"violation_type": "other", "severity": "minor",
                                                                       "description": "补记"})])
    assert statuses(edit) == [("REJECTED", "RECORD_IMMUTABLE")] * 2
    correction = phone.op("correct_task", {"supersedes": phone.inspection_id, "reason": "漏记排放口标志牌缺失问题"})
    assert statuses(await world.push("inspector1", [correction])) == [("APPLIED", None)]
    fresh = await world.inspection("inspector2", task)
    assert fresh is not None
    assert (fresh["inspectionId"], fresh["supersedes"], fresh["status"], fresh["checklistId"]) == (
        correction["recordId"], phone.inspection_id, "in_progress", world.checklist_id)
    assert await world.task_status(task) == "IN_PROGRESS"
    phone.inspection_id = correction["recordId"]
    assert statuses(await world.push("inspector1", [phone.answer("permit_posted", False)])) == [("APPLIED", None)]
    corrected = await world.pull("inspector2", later["nextSince"])
    assert [c["kind"] for c in corrected["changes"]] == ["sign", "sign", "submit_task", "correct_task", "answer_item"]


async def _upload_evidence(world: World, task: str, files: list[tuple[str, bytes]]) -> None:
    """Each file in two resumable ranged PUTs; the inspection turns submitted with the last byte of the last file."""
    assert world.evidence_routes, "api/app.py does not mount EVIDENCE_ROUTES (HEAD/PUT /evidence/{id})"
    auth = {"authorization": f"Bearer {world.tokens['inspector1']}"}
    for number, (evidence_id, data) in enumerate(files):
        half = len(data) // 2
        for start, end in ((0, half - 1), (half, len(data) - 1)):
            response = await world.http.put(f"/evidence/{evidence_id}", content=data[start:end + 1], headers={
                **auth, "content-range": f"bytes {start}-{end}/{len(data)}"})
            assert response.status_code == 200, response.text
            if start == 0:  # interrupted here, the app asks where to resume
                head = await world.http.head(f"/evidence/{evidence_id}", headers=auth)
                assert (head.status_code, head.headers["upload-offset"]) == (200, str(half))
        stored = response.json()
        assert (stored["status"], stored["sha256"]) == ("complete", hashlib.sha256(data).hexdigest()), stored
        current = await world.inspection("inspector1", task)
        assert current is not None and current["evidence"][evidence_id] == "complete", current
        last = number == len(files) - 1
        assert current["status"] == ("submitted" if last else "awaiting_evidence"), current
    assert (await world.data("supervisor1", "{ pendingEvidence }"))["pendingEvidence"] == []
    content = await world.http.get(f"/evidence/{files[0][0]}/content",
                                   headers={"authorization": f"Bearer {world.tokens['supervisor1']}"})
    assert content.status_code == 200 and content.content == files[0][1]
    outsider = await world.http.head(f"/evidence/{files[0][0]}",
                                     headers={"authorization": f"Bearer {world.tokens['inspector3']}"})
    assert outsider.status_code == 404


async def _printed_record(world: World, task: str, photo: bytes, head: str) -> None:
    path = f"/tasks/{task}/record.pdf"
    mounted = any(getattr(r, "path", "") == "/tasks/{task_id}/record.pdf" for r in world.asgi.app.router.routes)
    assert mounted, "GET /tasks/{task_id}/record.pdf is not mounted in api/app.py"
    response = await world.http.get(path, headers={"authorization": f"Bearer {world.tokens['inspector2']}"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages))
    for expected in ("现场检查记录", CHEMICAL["name"], hashlib.sha256(photo).hexdigest(), "张伟", "李娜",
                     "61010020180123", "危废暂存间门未关闭", "王建国", head):
        assert expected in text, expected
    supervisor = await world.http.get(path, headers={"authorization": f"Bearer {world.tokens['supervisor1']}"})
    assert supervisor.status_code == 200
    outsider = await world.http.get(path, headers={"authorization": f"Bearer {world.tokens['inspector3']}"})
    assert outsider.status_code == 404
    assert (await world.http.get(path)).status_code == 401


# -- the party refuses to sign ----------------------------------------------------------------------------------


async def test_party_refuses_to_sign(world: World) -> None:
    task = world.tasks[DYEWORKS["credit_code"]]
    phone = Device(task, DYEWORKS, datetime.now(UTC) - timedelta(minutes=50))
    ops = [phone.start(world.checklist_id), phone.answer("permit_posted", False),
           phone.answer("treatment_state", "stopped"),
           phone.op("record_finding", {"violation_type": "evade_supervision", "severity": "serious",
                                       "description": "废气治理设施停运，生产线正常生产"}),
           phone.op("record_party", {"name": "赵明", "refused": True, "reason": ""})]
    results = await world.push("inspector1", ops)
    assert statuses(results) == [("APPLIED", None)] * 4 + [("REJECTED", "REASON_REQUIRED")]
    refusal = phone.op("record_party", {"name": "赵明", "refused": True, "reason": "当事人认为采样点位置不当，拒绝签字"})
    colleague = Device(task, DYEWORKS, phone.at)
    colleague.inspection_id = phone.inspection_id
    # Both sign at the same moment on their own phones: the two pushes race on one inspection, both apply.
    mine, theirs = await asyncio.gather(world.push("inspector1", [refusal, phone.op("sign")]),
                                        world.push("inspector2", [colleague.op("sign")]))
    assert statuses(mine) == [("APPLIED", None)] * 2 and statuses(theirs) == [("APPLIED", None)]
    assert statuses(await world.push("inspector2", [colleague.op("submit_task")])) == [("APPLIED", None)]
    current = await world.inspection("inspector1", task)
    assert current is not None and current["status"] == "submitted"  # no evidence to wait for
    assert sorted(current["signatures"]) == ["SX-610100-0001", "SX-610100-0002"]
    assert {k: current["party"][k] for k in ("name", "refused", "reason", "signature_evidence_id")} == {
        "name": "赵明", "refused": True, "reason": "当事人认为采样点位置不当，拒绝签字", "signature_evidence_id": None}
    response = await world.http.get(f"/tasks/{task}/record.pdf",
                                    headers={"authorization": f"Bearer {world.tokens['inspector1']}"})
    assert response.status_code == 200
    text = flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages))
    assert "当事人认为采样点位置不当" in text and DYEWORKS["name"] in text


async def test_party_signature_uploaded_before_it_is_recorded(world: World) -> None:
    task = world.tasks[DYEWORKS["credit_code"]]
    phone = Device(task, DYEWORKS, datetime.now(UTC) - timedelta(minutes=20))
    begin = phone.start(world.checklist_id)
    recording = phone.op("register_evidence", {"kind": "audio", "mime_type": "audio/mpeg", "size": 4096,
                                               "sha256": hashlib.sha256(b"audio").hexdigest(), "file_name": "a.mp3"})
    signature = phone.evidence(png_signature(), "image/png", "party-signature.png")
    assert statuses(await world.push("inspector1", [begin, recording, signature])) == [
        ("APPLIED", None)] * 3
    # The party signs later, in another push: the registered image is found, a sound recording is no signature.
    by_audio = phone.op("record_party", {"name": "赵明", "refused": False,
                                         "signature_evidence_id": recording["recordId"]})
    by_image = phone.op("record_party", {"name": "赵明", "refused": False,
                                         "signature_evidence_id": signature["recordId"]})
    assert statuses(await world.push("inspector1", [by_audio, by_image])) == [("REJECTED", "SIGNATURE_MISSING"),
                                                                              ("APPLIED", None)]
    current = await world.inspection("inspector2", task)
    assert current is not None and current["party"]["signature_evidence_id"] == signature["recordId"]


# -- the supervisor's view --------------------------------------------------------------------------------------


async def test_supervisor_resolves_a_stale_reading(world: World) -> None:
    task = world.tasks[DYEWORKS["credit_code"]]
    phone = Device(task, DYEWORKS, datetime.now(UTC) - timedelta(minutes=30))
    begin = phone.start(world.checklist_id)
    reading = phone.answer("outlet_cod", 42.0)
    assert statuses(await world.push("inspector1", [begin, reading])) == [("APPLIED", None)] * 2
    # Inspector 2 pulls and corrects the reading; inspector 1, offline, edits the version it had.
    seen = await world.pull("inspector2")
    base = next(c for c in seen["changes"] if c["recordId"] == reading["recordId"])["version"]
    other = Device(task, DYEWORKS, phone.at)
    other.inspection_id = phone.inspection_id
    assert statuses(await world.push("inspector2", [other.answer("outlet_cod", 48.0, record_id=reading["recordId"],
                                                                 base_version=base)])) == [("APPLIED", None)]
    stale = phone.answer("outlet_cod", 45.5, record_id=reading["recordId"], base_version=1)
    assert statuses(await world.push("inspector1", [stale])) == [("CONFLICT", "STALE_VERSION")]
    assert statuses(await world.push("inspector1", [stale])) == [("CONFLICT", "STALE_VERSION")]  # replayed, kept once

    conflicts = (await world.data("supervisor1", "{ syncConflicts { conflictId taskId recordId code status by op } }"))
    [conflict] = conflicts["syncConflicts"]
    assert {k: conflict[k] for k in ("taskId", "recordId", "code", "status", "by")} == {
        "taskId": task, "recordId": reading["recordId"], "code": "STALE_VERSION", "status": "open",
        "by": "inspector1"}
    assert conflict["op"]["payload"]["value"] == 45.5
    progress = "query($p: String) { fieldProgress(planId: $p) { total byStatus openConflicts } }"
    assert (await world.data("supervisor1", progress, {"p": world.plan_id}))["fieldProgress"] == {
        "total": 2, "byStatus": {"in_progress": 1, "assigned": 1}, "openConflicts": 1}
    resolve = """mutation($c: String!, $r: String!) { resolveSyncConflict(input: {conflictId: $c, resolution: $r,
      note: "以甲的读数为准，请重新提交"}) { resolved userErrors { code } } }"""
    wrong = await world.data("supervisor1", resolve, {"c": conflict["conflictId"], "r": "maybe"})
    assert wrong["resolveSyncConflict"] == {"resolved": False, "userErrors": [{"code": "INVALID_VALUE"}]}
    done = await world.data("supervisor1", resolve, {"c": conflict["conflictId"], "r": "accept"})
    assert done["resolveSyncConflict"] == {"resolved": True, "userErrors": []}
    again = await world.data("supervisor1", resolve, {"c": conflict["conflictId"], "r": "discard"})
    assert again["resolveSyncConflict"] == {"resolved": False, "userErrors": [{"code": "NOT_FOUND"}]}
    assert (await world.data("supervisor1", "{ syncConflicts { conflictId } }"))["syncConflicts"] == []
    assert (await world.data("supervisor1", progress, {"p": world.plan_id}))["fieldProgress"]["openConflicts"] == 0
    # Accepted: the device re-sends its value as a new edit of the current version.
    resend = phone.answer("outlet_cod", 45.5, record_id=reading["recordId"], base_version=2)
    [applied] = await world.push("inspector1", [resend])
    assert (applied["status"], applied["version"]) == ("APPLIED", 3)


async def test_an_old_conflict_stays_resolvable_among_many(world: World, database: Database) -> None:
    task = world.tasks[DYEWORKS["credit_code"]]
    phone = Device(task, DYEWORKS, datetime.now(UTC) - timedelta(hours=4))
    begin = phone.start(world.checklist_id)
    reading = phone.answer("outlet_cod", 40.0)
    edit = phone.answer("outlet_cod", 41.0, record_id=reading["recordId"], base_version=1)
    oldest = phone.answer("outlet_cod", 39.0, record_id=reading["recordId"], base_version=1)
    assert statuses(await world.push("inspector1", [begin, reading, edit, oldest]))[-1] == ("CONFLICT",
                                                                                          "STALE_VERSION")
    newer = [phone.answer("outlet_cod", 30.0 + n / 10, record_id=reading["recordId"], base_version=1)
             for n in range(200)]
    assert set(statuses(await world.push("inspector1", newer))) == {("CONFLICT", "STALE_VERSION")}
    progress = "query($p: String) { fieldProgress(planId: $p) { openConflicts } }"
    assert (await world.data("supervisor1", progress, {"p": world.plan_id}))["fieldProgress"]["openConflicts"] == 201
    stored = await database["sync_conflicts"].find_one({"op_id": oldest["opId"]})
    assert stored is not None and stored["status"] == "open"
    resolved = await world.data("supervisor1", """mutation($c: String!) { resolveSyncConflict(input: {
      conflictId: $c, resolution: "discard", note: "旧读数作废"}) { resolved userErrors { code } } }""",
                                {"c": stored["_id"]})
    assert resolved["resolveSyncConflict"] == {"resolved": True, "userErrors": []}, (
        "BUG: core/fieldwork/oversight.py Oversight.resolve looks the id up in repository.conflicts(), which returns "
        "only the newest 200 open conflicts (.limit(200), core/fieldwork/repository.py), so with 201 open conflicts "
        f"in the supervisor's scope the oldest can be neither listed (syncConflicts) nor resolved: {resolved}")



async def test_a_malformed_op_is_rejected_alone(world: World) -> None:
    task = world.tasks[DYEWORKS["credit_code"]]
    phone = Device(task, DYEWORKS, datetime.now(UTC) - timedelta(minutes=30))
    assert statuses(await world.push("inspector1", [phone.start(world.checklist_id)])) == [("APPLIED", None)]
    good = phone.answer("permit_posted", True)
    bad = phone.op("register_evidence", {"kind": "photo", "mime_type": "image/jpeg", "size": "2 MB",
                                         "sha256": hashlib.sha256(b"x").hexdigest(), "file_name": "a.jpg"})
    result = await world.gql("inspector1", PUSH, {"i": {"deviceNow": datetime.now(UTC).isoformat(),
                                                        "ops": [good, bad]}})
    current = await world.inspection("inspector1", task)
    assert current is not None
    assert result.get("data") and statuses(result["data"]["syncPush"]["results"])[0] == ("APPLIED", None), (
        "BUG: core/fieldwork/ops.py _evidence calls int(payload['size']) unguarded: a register_evidence op with "
        "size \"2 MB\" raises ValueError, SyncService._apply_one lets it through, and the whole syncPush fails with "
        f"INTERNAL_ERROR — the valid answer in the same push is lost too: {result}, answers {current['answers']}")
    assert statuses(result["data"]["syncPush"]["results"])[1][0] == "REJECTED"
