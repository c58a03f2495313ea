"""Supervisors read an inspection's answers with their checklist items, values and units, its findings and evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from conftest import gql, token_for
from fieldwork_setup import ALICE, field_task, op

from api.graphql.relay import to_global_id
from core.config import Settings
from core.db import Database
from core.fieldwork.sync import SyncService

QUERY = """query($id: ID!) { node(id: $id) { ... on Task { inspection {
  itemAnswers { itemId itemText itemType unit value passed legalReference version author }
  findingRecords { violationType severity description legalBasis }
  evidenceFiles { kind mimeType fileName size sha256 status } } } } }"""


async def test_the_task_view_shows_answers_with_items_values_units_and_evidence(
        client: httpx.AsyncClient, users: dict[str, str], database: Database, tmp_path: Path) -> None:
    ready = await field_task(database, tmp_path)
    task_id = ready["task_id"]
    begin = op("start_task", task_id, {"checklist_id": ready["checklist_id"]})
    inspection = {"inspection_id": begin["record_id"]}
    ops = [begin,
           op("answer_item", task_id, {**inspection, "item_id": "treatment_state", "value": "stopped"}),
           op("answer_item", task_id, {**inspection, "item_id": "outlet_ph", "value": 6.5}),
           op("answer_item", task_id, {**inspection, "item_id": "permit_posted", "value": True}),
           op("record_finding", task_id, {**inspection, "violation_type": "evade_supervision", "severity": "serious",
                                          "description": "治理设施停运", "legal_basis": "《大气污染防治法》"}),
           op("register_evidence", task_id, {**inspection, "kind": "photo", "mime_type": "image/jpeg", "size": 1024,
                                             "sha256": "b" * 64, "file_name": "设施.jpg"})]
    results = await SyncService(database, Settings(secret_key="s" * 40)).push(ALICE, ops, device_now=datetime.now(UTC))
    assert {r.status.value for r in results} == {"APPLIED"}, results

    found = await gql(client, QUERY, {"id": to_global_id("Task", task_id)},
                      token=await token_for(client, "prov_supervisor"))
    assert not found.get("errors"), found
    view = found["data"]["node"]["inspection"]
    assert view["itemAnswers"] == [  # in the checklist's order, whatever the order answered
        {"itemId": "permit_posted", "itemText": "排污许可证正本悬挂", "itemType": "yes_no", "unit": "", "value": True,
         "passed": True, "legalReference": "《排污许可管理条例》", "version": 1, "author": "alice"},
        {"itemId": "outlet_ph", "itemText": "排放口 pH", "itemType": "number", "unit": "pH", "value": 6.5,
         "passed": None, "legalReference": "", "version": 1, "author": "alice"},
        {"itemId": "treatment_state", "itemText": "治理设施运行状态", "itemType": "choice", "unit": "", "value": "stopped",
         "passed": False, "legalReference": "", "version": 1, "author": "alice"}]
    assert view["findingRecords"] == [{"violationType": "evade_supervision", "severity": "serious",
                                       "description": "治理设施停运", "legalBasis": "《大气污染防治法》"}]
    assert view["evidenceFiles"] == [{"kind": "photo", "mimeType": "image/jpeg", "fileName": "设施.jpg", "size": 1024,
                                      "sha256": "b" * 64, "status": "pending"}]

    # Someone who may not read the task sees no inspection at all.
    outside = await gql(client, QUERY, {"id": to_global_id("Task", task_id)},
                        token=await token_for(client, "baoji_inspector"))
    assert outside["data"]["node"] is None
