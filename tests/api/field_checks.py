"""Authorization checks for the field-work fields (sync, checklists, supervisor view), used by the authorization matrix.

The checks need field records in both cities that no test login can write (no account is linked to a Baoji
inspector): ``seed_field_matrix`` writes them through the sync service before the checks run. Per city it
draws one plan and, as the task's first inspector (username ``seed-<city>``), starts the inspection,
registers one photo and leaves ``SEEDED_CONFLICTS`` open sync conflicts (stale answer edits).
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from alert_checks import EDITS, SUPERVISE
from conftest import USERS, enterprise_row, gql, token_for
from plan_checks import add_plan_matters, make_plan

from api.graphql.relay import to_global_id
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.db import Database
from core.demo import generator
from core.fieldwork.sync import SyncService
from core.registry.importing import import_enterprises, import_inspectors
from core.registry.models import Matter
from core.registry.repository import MatterRepository
from core.registry.rows import ENTERPRISE_COLUMNS

CITY = {"xian": "610100", "baoji": "610300"}
ROLES = ["anonymous", *USERS]
MATTER = "STJ-WRY-02"  # a matter of the demo item list
SEEDED_CONFLICTS = 4
PROVINCE_SUPERVISE = {"prov_supervisor", "admin"}  # supervisors whose jurisdiction covers the whole province
ITEMS = [{"itemId": "permit_posted", "text": "排污许可证正本悬挂", "type": "yes_no", "passValue": True},
         {"itemId": "treatment_state", "text": "治理设施运行状态", "type": "choice",
          "choices": ["running", "stopped", "idle"], "passValue": "running"}]
PUSH = """mutation($i: SyncPushInput!) { syncPush(input: $i) {
  results { opId status code version seq } userErrors { code } } }"""
PULL = "{ syncPull(since: 0, first: 500) { changes { taskId kind version author } purge nextSince hasMore } }"
CREATE = """mutation($i: CreateChecklistVersionInput!) { createChecklistVersion(input: $i) {
  checklist { checklistId matter version title createdBy items { itemId } } userErrors { code } } }"""
LATEST = "query($m: String!) { checklist(matter: $m) { checklistId version title createdBy } }"
CONFLICTS = "{ syncConflicts { conflictId taskId code status by } }"
RESOLVE = """mutation($c: String!) { resolveSyncConflict(input: {conflictId: $c, resolution: "accept",
  note: "以乙的读数为准"}) { resolved userErrors { code } } }"""


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def sync_op(type_: str, task_id: str, payload: dict[str, Any] | None = None, *, record_id: str | None = None,
            base_version: int | None = None) -> dict[str, Any]:
    """One op as the GraphQL SyncOpInput."""
    return {"opId": str(uuid.uuid4()), "type": type_.upper(), "taskId": task_id,
            "recordId": record_id or str(uuid.uuid4()), "baseVersion": base_version, "deviceTime": _now(),
            "place": {"lat": 34.2, "lon": 108.9, "accuracyM": 10.0}, "payload": payload or {}}


async def push(client: httpx.AsyncClient, token: str | None, ops: list[dict[str, Any]]) -> dict[str, Any]:
    return await gql(client, PUSH, {"i": {"deviceNow": _now(), "ops": ops}}, token=token)


async def drawn_task(client: httpx.AsyncClient, setup: str, where: str) -> dict[str, Any]:
    """A fresh drawn plan in the city and its one task (both of the city's inspectors assigned)."""
    plan_id = await make_plan(client, setup, where, until="drawn")
    tasks = await gql(client, "query($p: String!) { planTasks(planId: $p) { taskId inspectors status } }",
                      {"p": plan_id}, token=setup)
    [task] = tasks["data"]["planTasks"]
    assert task["status"] == "ASSIGNED" and len(task["inspectors"]) == 2, task
    return {"plan_id": plan_id, **task}


async def task_status(client: httpx.AsyncClient, setup: str, task: dict[str, Any]) -> str:
    tasks = await gql(client, "query($p: String!) { planTasks(planId: $p) { taskId status } }",
                      {"p": task["plan_id"]}, token=setup)
    return str(tasks["data"]["planTasks"][0]["status"])


async def latest_checklist(client: httpx.AsyncClient, setup: str) -> dict[str, Any]:
    found = (await gql(client, LATEST, {"m": MATTER}, token=setup))["data"]["checklist"]
    assert found is not None
    return dict(found)


async def seeded_conflicts(client: httpx.AsyncClient, setup: str, where: str) -> list[dict[str, Any]]:
    """The open conflicts seeded in the city (setup is a province-wide supervisor)."""
    listed = (await gql(client, CONFLICTS, token=setup))["data"]["syncConflicts"]
    return [c for c in listed if c["by"] == f"seed-{where}"]


# -- the checks ----------------------------------------------------------------------------------------------------


async def check_sync_push(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    task = await drawn_task(client, setup, where)
    checklist = await latest_checklist(client, setup)
    begin = sync_op("start_task", task["taskId"], {"checklist_id": checklist["checklistId"]})
    result = await push(client, token, [begin])
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED" and result["data"] is None
    elif role == "xian_inspector" and where == "xian":
        payload = result["data"]["syncPush"]
        assert payload["userErrors"] == [], result
        [applied] = payload["results"]
        assert (applied["opId"], applied["status"], applied["code"], applied["version"]) == (
            begin["opId"], "APPLIED", None, 1) and applied["seq"] >= 1
        assert await task_status(client, setup, task) == "IN_PROGRESS"
        return
    elif role == "xian_inspector":  # linked to an inspector, but not to one of this task's
        payload = result["data"]["syncPush"]
        assert payload["userErrors"] == [] and [(r["status"], r["code"]) for r in payload["results"]] == [
            ("REJECTED", "NOT_FOUND")], result
    else:  # staff without an inspector link: supervisors, authors, admin, an unlinked inspector account
        assert result["data"]["syncPush"] == {"results": [], "userErrors": [{"code": "NOT_AN_INSPECTOR"}]}, result
    assert await task_status(client, setup, task) == "ASSIGNED"  # nothing written


async def check_sync_pull(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    task = None
    if where == "xian":  # a fresh change on a task of xian_inspector (Baoji changes are seeded)
        task = await drawn_task(client, setup, where)
        own = await push(client, await token_for(client, "xian_inspector"), [sync_op("start_task", task["taskId"])])
        assert own["data"]["syncPush"]["results"][0]["status"] == "APPLIED", own
    result = await gql(client, PULL, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED" and result["data"] is None
    elif role != "xian_inspector":
        assert _code(result) == "NOT_AN_INSPECTOR" and result["data"] is None, result
    else:
        page = result["data"]["syncPull"]
        mine = (await gql(client, "{ myTasks(first: 100) { taskId } }", token=token))["data"]["myTasks"]
        assert {c["taskId"] for c in page["changes"]} <= {t["taskId"] for t in mine}, page  # own tasks only
        assert all(c["author"] != "seed-baoji" for c in page["changes"]) and page["purge"] == []
        if task is not None:
            assert {"taskId": task["taskId"], "kind": "start_task", "version": 1,
                    "author": "xian_inspector"} in page["changes"], page


async def check_checklist(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    result = await gql(client, LATEST, {"m": MATTER}, token=token)
    unknown = await gql(client, LATEST, {"m": "NO-SUCH-MATTER"}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED" and _code(unknown) == "UNAUTHENTICATED"
    else:  # checklists are per matter, province-wide: every staff role reads them
        assert result["data"]["checklist"] == {"checklistId": f"{MATTER}:v1", "version": 1, "title": "日常检查",
                                               "createdBy": "prov_supervisor"}, result
        assert unknown["data"]["checklist"] is None and not unknown.get("errors")


async def check_create_checklist(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    before = await latest_checklist(client, setup)
    title = f"检查表 {role} {where}"
    result = await gql(client, CREATE, {"i": {"matter": MATTER, "title": title, "items": ITEMS}}, token=token)
    after = await latest_checklist(client, setup)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
    elif role not in PROVINCE_SUPERVISE:  # a matter's checklist is province-wide: a city supervisor may not version it
        assert result["data"]["createChecklistVersion"] == {"checklist": None, "userErrors": [{"code": "FORBIDDEN"}]}
    else:
        created = result["data"]["createChecklistVersion"]
        version = before["version"] + 1
        assert created == {"checklist": {"checklistId": f"{MATTER}:v{version}", "matter": MATTER, "version": version,
                                         "title": title, "createdBy": role,
                                         "items": [{"itemId": "permit_posted"}, {"itemId": "treatment_state"}]},
                           "userErrors": []}, result
        assert after == {"checklistId": f"{MATTER}:v{version}", "version": version, "title": title,
                         "createdBy": role}
        return
    assert after == before  # a refused call adds no version


async def check_field_progress(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                               setup: str) -> None:
    task_id = (await seeded_conflicts(client, setup, where))[0]["taskId"]
    node = await gql(client, "query($id: ID!) { node(id: $id) { ... on Task { planId } } }",
                     {"id": to_global_id("Task", task_id)}, token=setup)
    plan_id = node["data"]["node"]["planId"]
    result = await gql(client, "query($p: String) { fieldProgress(planId: $p) { total byStatus awaitingEvidence "
                       "openConflicts pendingEvidence } }", {"p": plan_id}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
    elif role in EDITS[where]:
        assert result["data"]["fieldProgress"] == {"total": 1, "byStatus": {"in_progress": 1}, "awaitingEvidence": 0,
                                                   "openConflicts": SEEDED_CONFLICTS, "pendingEvidence": 1}, result
    else:  # a supervisor of another city: nothing of the plan leaks
        assert result["data"]["fieldProgress"] == {"total": 0, "byStatus": {}, "awaitingEvidence": 0,
                                                   "openConflicts": 0, "pendingEvidence": 0}, result


async def check_sync_conflicts(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                               setup: str) -> None:
    seeded = {c["conflictId"] for c in await seeded_conflicts(client, setup, where)}
    assert len(seeded) == SEEDED_CONFLICTS
    result = await gql(client, CONFLICTS, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
    else:
        listed = result["data"]["syncConflicts"]
        visible = {c["conflictId"] for c in listed} & seeded
        assert visible == (seeded if role in EDITS[where] else set()), result
        assert all(c["status"] == "open" and c["code"] == "STALE_VERSION" for c in listed)
        # Never a conflict of a city outside the role's jurisdictions (the seeds are the only conflicts).
        assert {c["by"] for c in listed} <= {f"seed-{w}" for w in CITY if role in EDITS[w]}, result


async def check_pending_evidence(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    result = await gql(client, "{ pendingEvidence }", token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
    else:
        rows = [r for r in result["data"]["pendingEvidence"] if r["registeredBy"] == f"seed-{where}"]
        if role in EDITS[where]:
            assert [(r["kind"], r["size"], r["received"]) for r in rows] == [("photo", 2048, 0)], result
        else:
            assert rows == [], result


async def check_resolve_conflict(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    before = await seeded_conflicts(client, setup, where)
    target = before[0]["conflictId"]
    result = await gql(client, RESOLVE, {"c": target}, token=token)
    still_open = {c["conflictId"] for c in await seeded_conflicts(client, setup, where)}
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
    elif role in EDITS[where]:
        assert result["data"]["resolveSyncConflict"] == {"resolved": True, "userErrors": []}, result
        assert still_open == {c["conflictId"] for c in before} - {target}
        return
    else:
        assert result["data"]["resolveSyncConflict"] == {"resolved": False,
                                                         "userErrors": [{"code": "NOT_FOUND"}]}, result
    assert target in still_open  # a refused call resolves nothing


FIELD_CHECKS = {
    "Mutation.syncPush": check_sync_push, "Query.syncPull": check_sync_pull, "Query.checklist": check_checklist,
    "Mutation.createChecklistVersion": check_create_checklist, "Query.fieldProgress": check_field_progress,
    "Query.syncConflicts": check_sync_conflicts, "Query.pendingEvidence": check_pending_evidence,
    "Mutation.resolveSyncConflict": check_resolve_conflict,
}


# -- seeding (needs the database: no API imports inspectors or matters, and no login is a Baoji inspector) ----------


async def _seed_city(client: httpx.AsyncClient, settings: Settings, database: Database, setup: str, where: str,
                     checklist_id: str) -> None:
    task = await drawn_task(client, setup, where)
    viewer = Viewer(username=f"seed-{where}", roles=frozenset({Role.INSPECTOR}), jurisdictions=(CITY[where],),
                    inspector_id=task["inspectors"][0])

    def op(type_: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        raw = sync_op(type_, task["taskId"], payload, **kwargs)
        return {"op_id": raw["opId"], "type": type_, "task_id": raw["taskId"], "record_id": raw["recordId"],
                "base_version": raw["baseVersion"], "device_time": raw["deviceTime"], "payload": payload,
                "place": {"lat": 34.2, "lon": 108.9, "accuracy_m": 10.0}}

    begin = op("start_task", {"checklist_id": checklist_id})
    on = {"inspection_id": begin["record_id"], "item_id": "treatment_state"}
    answer = op("answer_item", {**on, "value": "running"})
    edit = op("answer_item", {**on, "value": "idle"}, record_id=answer["record_id"], base_version=1)
    stale = [op("answer_item", {**on, "value": "stopped"}, record_id=answer["record_id"], base_version=1)
             for _ in range(SEEDED_CONFLICTS)]
    photo = op("register_evidence", {"inspection_id": begin["record_id"], "kind": "photo", "mime_type": "image/jpeg",
                                     "size": 2048, "sha256": hashlib.sha256(where.encode()).hexdigest()})
    results = await SyncService(database, settings).push(viewer, [begin, answer, edit, photo, *stale],
                                                         device_now=datetime.now(UTC))
    assert [r.status.value for r in results] == ["APPLIED"] * 4 + ["CONFLICT"] * SEEDED_CONFLICTS, results


async def seed_field_matrix(client: httpx.AsyncClient, settings: Settings, database: Database, tmp_path: Path,
                            setup: str) -> None:
    """Inspectors (two per city), the matter and its checklist v1, and per city the seeded records."""
    if await database["enterprises"].count_documents({}) == 0:  # test_authorization_matrix's `seeded` does this
        path = tmp_path / "field-seed.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
            writer.writeheader()
            writer.writerows([enterprise_row("91610100MA0009901", jurisdiction="610100"),
                              enterprise_row("91610300MA0009902", jurisdiction="610300")])
        assert (await import_enterprises(database, path, actor="seed")).inserted == 2
    staff = tmp_path / "field-inspectors.csv"
    staff.write_text(
        "staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
        "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n"
        "SX-610300-0001,丙,C3,2099-01-01,610300\nSX-610300-0002,丁,C4,2099-01-01,610300\n", encoding="utf-8")
    assert (await import_inspectors(database, staff)).inserted == 4
    await add_plan_matters(database)
    await MatterRepository(database).upsert_many([Matter.model_validate(m) for m in generator.matters()
                                                  if m["code"] == MATTER])
    created = await gql(client, CREATE, {"i": {"matter": MATTER, "title": "日常检查", "items": ITEMS}}, token=setup)
    checklist = created["data"]["createChecklistVersion"]["checklist"]
    assert checklist["checklistId"] == f"{MATTER}:v1", created
    for where in CITY:
        await _seed_city(client, settings, database, setup, where, checklist["checklistId"])
