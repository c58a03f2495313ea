"""A task ready for field work: an enterprise, two certified inspectors assigned, a matter and its checklist."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import enterprise_row

from core.accounts.models import Role, Viewer
from core.db import Database
from core.fieldwork.checklists import ChecklistService
from core.inspections.models import Task, TaskStatus
from core.inspections.repository import InspectionRepository
from core.registry.importing import import_enterprises, import_inspectors
from core.registry.rows import ENTERPRISE_COLUMNS

SUPERVISOR = Viewer(username="sup", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
ALICE = Viewer(username="alice", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
               inspector_id="SX-610100-0001")
BOB = Viewer(username="bob", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
             inspector_id="SX-610100-0002")
CAROL = Viewer(username="carol", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
               inspector_id="SX-610100-0003")
ITEMS = [
    {"id": "permit_posted", "text": "排污许可证正本悬挂", "type": "yes_no", "pass_value": True,
     "legal_reference": "《排污许可管理条例》", "failed_severity": "minor"},
    {"id": "outlet_ph", "text": "排放口 pH", "type": "number", "unit": "pH", "required": False},
    {"id": "treatment_state", "text": "治理设施运行状态", "type": "choice",
     "choices": ["running", "stopped", "idle"], "pass_value": "running", "failed_severity": "serious"},
]


async def field_task(database: Database, tmp_path: Path) -> dict[str, Any]:
    row = enterprise_row("91610100MF0000001")
    path = tmp_path / "e.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    assert (await import_enterprises(database, path, actor="seed")).inserted == 1
    staff = tmp_path / "i.csv"
    staff.write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                     "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n"
                     "SX-610100-0003,丙,C3,2099-01-01,610100\n", encoding="utf-8")
    assert (await import_inspectors(database, staff)).inserted == 3
    await database["matters"].insert_one({"code": "M-01", "name": "污染源日常监管"})
    checklist = await ChecklistService(database).create_version(SUPERVISOR, matter="M-01", title="日常检查",
                                                                items=ITEMS)
    task = Task(id=f"task-{uuid.uuid4().hex[:8]}", plan_id=None, draw_id=f"test:{uuid.uuid4()}",
                credit_code=row["credit_code"], enterprise_name=row["name"], jurisdiction="610100", stratum="",
                inspectors=["SX-610100-0001", "SX-610100-0002"], lead="SX-610100-0001",
                status=TaskStatus.ASSIGNED, created_at=datetime.now(UTC))
    async with database.start_session() as session, await session.start_transaction():
        await InspectionRepository(database).insert_targeted([task], session=session)
    return {"task_id": task.id, "checklist_id": checklist.id, "lat": float(row["lat"]), "lon": float(row["lon"])}


def op(type_: str, task_id: str, payload: dict[str, Any] | None = None, *, record_id: str | None = None,
       base_version: int | None = None, place: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "type": type_, "task_id": task_id, "record_id": record_id or str(uuid.uuid4()),
            "base_version": base_version, "device_time": datetime.now(UTC).isoformat(), "payload": payload or {},
            "place": place}
