"""Hand-built batches, contexts and ops for the unit tests of core.fieldwork.ops (test_field_ops*.py)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.evidence import media
from core.fieldwork.models import Checklist, ChecklistItem, SyncOp
from core.fieldwork.ops import OpContext, Refused, apply
from core.fieldwork.state import Batch, TaskState

NOW = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
ALICE, BOB, CAROL = "SX-610100-0001", "SX-610100-0002", "SX-610100-0003"
SITE = (34.2, 108.9)  # the enterprise, (lat, lon)
PHOTO_SHA = hashlib.sha256(b"photo").hexdigest()
CHECKLIST = Checklist(
    id="M-01:v1", matter="M-01", version=1, title="日常检查", created_by="sup", created_at=NOW, items=[
        ChecklistItem(id="permit_posted", text="排污许可证正本悬挂", type="yes_no", pass_value=True),
        ChecklistItem(id="outlet_ph", text="排放口 pH", type="number", unit="pH", required=False),
        ChecklistItem(id="notes", text="现场情况", type="text", required=False),
        ChecklistItem(id="treatment_state", text="治理设施运行状态", type="choice",
                      choices=["running", "stopped", "idle"], pass_value="running"),
    ])


def context(staff: str = ALICE, *, expires: str = "2099-01-01", skew: timedelta = timedelta(),
            limits: media.EvidenceLimits = media.DEFAULT_LIMITS) -> OpContext:
    return OpContext(staff_id=staff, username=f"user-{staff[-4:]}", certificate_number=f"C{staff[-1]}",
                   certificate_expires=expires, now=NOW, skew=skew, max_skew=timedelta(seconds=300),
                   max_distance_m=500.0, max_accuracy_m=100.0, limits=limits)


def new_batch(inspectors: tuple[str, ...] = (ALICE, BOB)) -> Batch:
    tasks = {task_id: TaskState(id=task_id, inspectors=list(inspectors), status="assigned", jurisdiction="610100",
                                credit_code=f"CODE-{task_id}", enterprise_name="测试企业", version=1, location=SITE)
             for task_id in ("T1", "T2")}
    return Batch(tasks=tasks, inspections={}, records={}, checklists={CHECKLIST.id: CHECKLIST}, active_inspection={})


def make_op(type_: str, payload: dict[str, Any] | None = None, *, task_id: str = "T1", record_id: str | None = None,
            base_version: int | None = None, place: dict[str, Any] | None | str = "site",
            device_time: datetime = NOW, gps_time: datetime | None = None) -> SyncOp:
    where = {"lat": SITE[0], "lon": SITE[1], "accuracy_m": 8.0} if place == "site" else place
    return SyncOp.model_validate({"op_id": str(uuid.uuid4()), "type": type_, "task_id": task_id,
                                  "record_id": record_id or str(uuid.uuid4()), "base_version": base_version,
                                  "device_time": device_time, "gps_time": gps_time, "place": where,
                                  "payload": payload or {}})


class Site:
    """One task's inspection, driven op by op as two (or more) inspectors' devices would."""

    def __init__(self, inspectors: tuple[str, ...] = (ALICE, BOB)) -> None:
        self.batch = new_batch(inspectors)
        self.inspection = ""

    def run(self, op: SyncOp, staff: str = ALICE, **ctx: Any) -> dict[str, Any]:
        return apply(self.batch, op, context(staff, **ctx))

    def start(self, **kwargs: Any) -> dict[str, Any]:
        entry = self.run(make_op("start_task", {"checklist_id": CHECKLIST.id}, **kwargs))
        self.inspection = entry["record_id"]
        return entry

    def op(self, type_: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> SyncOp:
        return make_op(type_, {"inspection_id": self.inspection, **(payload or {})}, **kwargs)

    def do(self, type_: str, payload: dict[str, Any] | None = None, staff: str = ALICE, **kwargs: Any
           ) -> dict[str, Any]:
        return self.run(self.op(type_, payload, **kwargs), staff)

    def refused(self, type_: str, payload: dict[str, Any] | None = None, staff: str = ALICE, **kwargs: Any
                ) -> Refused:
        entries, head = len(self.batch.entries), self.batch.tasks["T1"].chain_head
        with pytest.raises(Refused) as caught:
            self.do(type_, payload, staff, **kwargs)
        assert len(self.batch.entries) == entries and self.batch.tasks["T1"].chain_head == head  # nothing written
        return caught.value

    def outcome(self, type_: str, payload: dict[str, Any] | None = None, staff: str = ALICE, **kwargs: Any) -> str:
        """APPLIED, or the code the op was refused with; any other exception escapes (a crash, not a refusal)."""
        try:
            self.do(type_, payload, staff, **kwargs)
        except Refused as refused:
            return refused.code
        return "APPLIED"

    def evidence(self, kind: str = "photo", mime: str = "image/jpeg", **kwargs: Any) -> str:
        entry = self.do("register_evidence", {"kind": kind, "mime_type": mime, "size": 2048, "sha256": PHOTO_SHA,
                                              "file_name": "IMG_0001.jpg"}, **kwargs)
        return str(entry["record_id"])

    def answer_required(self) -> None:
        self.do("answer_item", {"item_id": "permit_posted", "value": True})
        self.do("answer_item", {"item_id": "treatment_state", "value": "running"})

    def sign_all(self) -> None:
        for staff in self.batch.tasks["T1"].inspectors:
            self.do("sign", staff=staff)

    def ready(self) -> None:
        """Everything submission needs: both signatures, the party's signature image, the required answers."""
        self.answer_required()
        signature = self.evidence(mime="image/png")
        self.do("record_party", {"name": "王经理", "refused": False, "signature_evidence_id": signature})
        self.sign_all()

    @property
    def state(self) -> Any:
        return self.batch.inspections[self.inspection]


# -- start, replays, flags, times ---------------------------------------------------------------------------------
