"""Checklists carry a jurisdiction scope: only a supervisor whose jurisdiction covers it may version it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import PASSWORD, gql, token_for

from core.accounts.models import Role, Viewer
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database
from core.errors import PermissionDenied
from core.fieldwork.checklists import ChecklistService

MATTER = "TGT-ALERT"  # a targeted-task checklist: no item list needed to create it
ITEMS = [{"itemId": "measures_taken", "text": "是否落实应急减排措施", "type": "yes_no", "passValue": True}]
CREATE = """mutation($i: CreateChecklistVersionInput!) { createChecklistVersion(input: $i) {
  checklist { checklistId version } userErrors { field code } } }"""
LATEST = "query($m: String!) { checklist(matter: $m) { checklistId version title } }"


@pytest.fixture
async def province_checklist(client: httpx.AsyncClient, users: dict[str, str], database: Database,
                             settings: Settings) -> str:
    await AccountService(database, settings).create_user(username="baoji_supervisor", password=PASSWORD,
                                                         roles=[Role.SUPERVISOR], jurisdictions=["610300"])
    token = await token_for(client, "prov_supervisor")
    created = await _create(client, token, "省级检查表")
    assert created["userErrors"] == [] and created["checklist"]["version"] == 1
    return token


async def _create(client: httpx.AsyncClient, token: str, title: str) -> dict[str, Any]:
    result = await gql(client, CREATE, {"i": {"matter": MATTER, "title": title, "items": ITEMS}}, token=token)
    return dict(result["data"]["createChecklistVersion"])


@pytest.mark.parametrize("city_supervisor", ["xian_supervisor", "baoji_supervisor"])
async def test_a_city_supervisor_cannot_version_a_province_checklist(client: httpx.AsyncClient,
                                                                     province_checklist: str,
                                                                     city_supervisor: str) -> None:
    token = await token_for(client, city_supervisor)
    refused = await _create(client, token, "市级改写")
    assert refused == {"checklist": None, "userErrors": [{"field": "matter", "code": "FORBIDDEN"}]}
    latest = (await gql(client, LATEST, {"m": MATTER}, token=token))["data"]["checklist"]
    assert latest == {"checklistId": f"{MATTER}:v1", "version": 1, "title": "省级检查表"}


async def test_a_province_supervisor_and_admin_may(client: httpx.AsyncClient, province_checklist: str) -> None:
    assert (await _create(client, province_checklist, "第二版"))["checklist"]["version"] == 2
    admin = await token_for(client, "admin")
    assert (await _create(client, admin, "第三版"))["checklist"]["version"] == 3


async def test_a_city_supervisor_cannot_start_a_checklist_either(client: httpx.AsyncClient,
                                                                 users: dict[str, str]) -> None:
    # A matter's checklist serves every task of the matter, in every city: its first version is province-wide.
    token = await token_for(client, "xian_supervisor")
    refused = await _create(client, token, "西安自建")
    assert refused["userErrors"] == [{"field": "matter", "code": "FORBIDDEN"}]
    assert (await gql(client, LATEST, {"m": MATTER}, token=token))["data"]["checklist"] is None


async def test_checklists_stored_without_a_scope_are_province_wide(database: Database) -> None:
    await database["checklists"].insert_one({"_id": f"{MATTER}:v1", "matter": MATTER, "version": 1, "title": "旧表",
                                             "items": [{"id": "measures_taken", "text": "x", "type": "yes_no"}],
                                             "created_by": "old", "created_at": datetime.now(UTC)})
    service = ChecklistService(database)
    city = Viewer(username="xian", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))
    with pytest.raises(PermissionDenied):
        await service.create_version(city, matter=MATTER, title="改写", items=[{"id": "a", "text": "a",
                                                                               "type": "yes_no"}])
    province = Viewer(username="prov", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
    created = await service.create_version(province, matter=MATTER, title="新版", items=[{"id": "a", "text": "a",
                                                                                        "type": "yes_no"}])
    assert created.version == 2 and created.jurisdiction == "610000"
