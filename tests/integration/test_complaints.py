"""Complaints: an area task when no enterprise is named, linking it later, handling deadlines and the overdue list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import enterprise_row

from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import DomainError
from core.inspections.repository import InspectionRepository
from core.nonsite.complaints import ComplaintService
from core.registry.importing import import_enterprises

CHIEF = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))
NOW = datetime.now(UTC)


def complaint(**extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "channel": "weibo", "received_at": NOW, "jurisdiction": "610100",
            "content": "河边有一股刺鼻气味，不知道是哪家", "place": {"lat": 34.2, "lon": 108.9}, **extra}


async def test_a_complaint_without_an_enterprise_gets_an_area_task_and_is_linked_later(
        database: Database, tmp_path: Path) -> None:
    row = enterprise_row("91610100MG0000001")
    path = tmp_path / "e.csv"
    path.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    await import_enterprises(database, path, actor="t")
    service = ComplaintService(database, handling_days=60)
    late = complaint(received_at=NOW - timedelta(days=70))
    doc, _ = await service.record_complaint(CHIEF, late)
    on_time, _ = await service.record_complaint(CHIEF, complaint(channel="email"))
    origin = f"complaint:{late['id']}"
    [area] = await InspectionRepository(database).targeted_of(origin)
    assert area.credit_code == "" and area.target["place"] == {"lat": 34.2, "lon": 108.9, "accuracy_m": None}
    assert doc["due_on"] == (late["received_at"].date() + timedelta(days=60)).isoformat()
    assert [c["_id"] for c in await service.overdue(CHIEF)] == [late["id"]]

    linked = await service.link_complaint(CHIEF, late["id"], row["credit_code"].lower())
    assert linked["credit_code"] == row["credit_code"] and linked["area_task_id"] == area.id
    tasks = await InspectionRepository(database).targeted_of(origin)
    assert sorted(t.credit_code for t in tasks) == ["", row["credit_code"]]
    with pytest.raises(DomainError) as twice:
        await service.link_complaint(CHIEF, late["id"], row["credit_code"])
    assert twice.value.code == "WRONG_STATUS"
    with pytest.raises(DomainError) as unknown:
        await service.link_complaint(CHIEF, on_time["_id"], "91610100MA00000400")
    assert unknown.value.code == "NOT_FOUND"
    await service.close_complaint(CHIEF, late["id"], founded=True, note="查实")
    assert await service.overdue(CHIEF) == []


@pytest.mark.parametrize("channel", ["12369", "phone", "web", "wechat", "weibo", "email", "letter", "visit", "media"])
async def test_every_channel_is_accepted(database: Database, channel: str) -> None:
    doc, created = await ComplaintService(database).record_complaint(CHIEF, complaint(channel=channel))
    assert created and doc["channel"] == channel


async def test_an_unknown_channel_is_refused(database: Database) -> None:
    with pytest.raises(DomainError) as refused:
        await ComplaintService(database).record_complaint(CHIEF, complaint(channel="fax"))
    assert refused.value.code == "INVALID_VALUE"
    assert await database["complaints"].count_documents({}) == 0
