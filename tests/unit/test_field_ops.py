"""core.fieldwork.ops.apply on a hand-built batch: sign-off rules, immutability, values, versions, flags, chain."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from core.evidence import media
from core.fieldwork.models import Checklist, ChecklistItem, SyncOp
from core.fieldwork.ops import Conflicted, OpContext, Refused, Replayed, apply
from core.fieldwork.state import GENESIS, Batch, TaskState, chain_hash

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


def test_start_opens_the_inspection_and_moves_the_task() -> None:
    site = Site()
    entry = site.start()
    assert (entry["kind"], entry["version"], entry["flags"], entry["author"]) == ("start_task", 1, [], "user-0001")
    assert site.state.status == "in_progress" and site.state.checklist_id == CHECKLIST.id
    assert site.batch.active_inspection == {"T1": site.inspection}
    task = site.batch.tasks["T1"]
    assert (task.status, task.status_changed) == ("in_progress", True)


def test_replays_and_id_conflicts() -> None:
    site = Site()
    begin = make_op("start_task", {"checklist_id": CHECKLIST.id})
    site.run(begin)
    with pytest.raises(Replayed) as replay:
        site.run(begin.model_copy(update={"op_id": str(uuid.uuid4())}))  # same record, new op id
    assert replay.value.head.version == 1
    with pytest.raises(Refused) as caught:
        site.run(begin.model_copy(update={"op_id": str(uuid.uuid4()), "payload": {"checklist_id": None}}))
    assert caught.value.code == "ID_CONFLICT"
    with pytest.raises(Conflicted) as second:  # another device starts the same task as a new inspection
        site.run(make_op("start_task", {"checklist_id": CHECKLIST.id}), BOB)
    assert second.value.code == "INSPECTION_EXISTS"
    assert len(site.batch.entries) == 1 and len(site.batch.inspections) == 1


def test_unknown_task_and_checklist() -> None:
    site = Site()
    with pytest.raises(Refused) as task:
        site.run(make_op("start_task", {}, task_id="no-such-task"))
    with pytest.raises(Refused) as checklist:
        site.run(make_op("start_task", {"checklist_id": "M-01:v9"}))
    assert (task.value.code, checklist.value.code) == ("NOT_FOUND", "UNKNOWN_CHECKLIST")
    assert site.batch.entries == []


FAR = {"lat": SITE[0] + 0.01, "lon": SITE[1], "accuracy_m": 8.0}  # 0.01° of latitude: 1,112 m north


@pytest.mark.parametrize(("place", "skew", "gps_offset", "expected"), [
    ("site", timedelta(), None, []),
    (FAR, timedelta(), None, ["FAR_FROM_ENTERPRISE:1112m"]),
    ({"lat": SITE[0], "lon": SITE[1], "accuracy_m": 350.0}, timedelta(), None, ["LOW_ACCURACY:350m"]),
    (None, timedelta(), None, ["NO_LOCATION"]),
    ("site", timedelta(minutes=20), None, ["CLOCK_SKEW:1200s"]),
    ("site", timedelta(minutes=-7), None, ["CLOCK_SKEW:-420s"]),
    ("site", timedelta(minutes=4), None, []),  # within FIELD_MAX_CLOCK_SKEW_S
    ("site", timedelta(), timedelta(minutes=-10), ["GPS_TIME_MISMATCH:600s"]),
    ("site", timedelta(), timedelta(minutes=-2), []),
    ({**FAR, "accuracy_m": 350.0}, timedelta(minutes=20), timedelta(minutes=-10),
     ["CLOCK_SKEW:1200s", "GPS_TIME_MISMATCH:600s", "LOW_ACCURACY:350m", "FAR_FROM_ENTERPRISE:1112m"]),
])
def test_start_flags(place: Any, skew: timedelta, gps_offset: timedelta | None, expected: list[str]) -> None:
    site = Site()
    device_time = NOW + skew  # recorded by the (skewed) device clock just now
    gps_time = device_time + gps_offset if gps_offset is not None else None
    entry = site.run(make_op("start_task", {"checklist_id": CHECKLIST.id}, place=place, device_time=device_time,
                             gps_time=gps_time), skew=skew)
    assert entry["flags"] == expected  # flags, never a refusal
    assert site.batch.inspections[entry["record_id"]].started_at == NOW  # the device time on the server clock
    place_flags = [f for f in expected if f.startswith(("FAR_FROM_ENTERPRISE", "NO_LOCATION"))]
    assert site.batch.inspections[entry["record_id"]].flags == place_flags


def test_flags_on_later_ops() -> None:
    site = Site()
    site.start()
    vague = site.do("record_finding", {"violation_type": "other", "severity": "minor", "description": "异味"},
                    place={"lat": SITE[0], "lon": SITE[1], "accuracy_m": 150.0})
    assert vague["flags"] == ["LOW_ACCURACY:150m"]
    indoors = site.do("answer_item", {"item_id": "permit_posted", "value": True}, place=None)
    assert indoors["flags"] == []  # NO_LOCATION is about where the inspection started


@pytest.mark.parametrize(("skew", "recorded", "accepted"), [
    (timedelta(), timedelta(minutes=-30), True),
    (timedelta(), timedelta(minutes=10), False),  # after the device's own clock at push time
    (timedelta(), timedelta(hours=3), False),
    (timedelta(minutes=20), timedelta(minutes=20), True),  # a fast device clock: flagged, not refused
    (timedelta(minutes=20), timedelta(minutes=35), False),
    (timedelta(minutes=-20), timedelta(minutes=-5), False),  # a slow device clock, a time from its future
])
def test_timestamp_in_future(skew: timedelta, recorded: timedelta, accepted: bool) -> None:
    site = Site()
    begin = make_op("start_task", {"checklist_id": CHECKLIST.id}, device_time=NOW + recorded)
    if accepted:
        assert site.run(begin, skew=skew)["kind"] == "start_task"
        return
    with pytest.raises(Refused) as caught:
        site.run(begin, skew=skew)
    assert caught.value.code == "TIMESTAMP_IN_FUTURE"
    assert site.batch.entries == [] and site.batch.inspections == {} and site.batch.tasks["T1"].status == "assigned"


def test_naive_times_and_coordinates_outside_the_earth() -> None:
    site = Site()
    with pytest.raises(Refused) as naive:
        site.run(make_op("start_task", {}, device_time=NOW.replace(tzinfo=None)))
    assert naive.value.code == "INVALID_TIMESTAMP"
    for lat, lon in ((123.0, 10.0), (10.0, 181.0)):  # refused when the op is parsed (INVALID_COORDINATES)
        with pytest.raises(ValidationError) as invalid:
            make_op("start_task", {}, place={"lat": lat, "lon": lon})
        assert invalid.value.errors()[0]["loc"][0] == "place"


# -- answers and findings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("item", "value", "valid"), [
    ("permit_posted", True, True), ("permit_posted", False, True), ("permit_posted", "yes", False),
    ("permit_posted", 1, False), ("permit_posted", None, False),
    ("outlet_ph", 7, True), ("outlet_ph", 7.2, True), ("outlet_ph", "7.2", False), ("outlet_ph", True, False),
    ("outlet_ph", None, False),
    ("notes", "门卫值班", True), ("notes", "", False), ("notes", "字" * 2001, False), ("notes", 12, False),
    ("treatment_state", "idle", True), ("treatment_state", "broken", False), ("treatment_state", None, False),
    ("treatment_state", ["running"], False),
])
def test_answer_values_by_item_type(item: str, value: Any, valid: bool) -> None:
    site = Site()
    site.start()
    if valid:
        entry = site.do("answer_item", {"item_id": item, "value": value})
        assert site.state.answers == {item: entry["record_id"]} and entry["body"]["value"] == value
    else:
        assert site.refused("answer_item", {"item_id": item, "value": value}).code == "INVALID_VALUE"
        assert site.state.answers == {}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_number_item_refuses_non_finite_values(value: float) -> None:
    site = Site()
    site.start()
    assert site.outcome("answer_item", {"item_id": "outlet_ph", "value": value}) == "INVALID_VALUE", (
        f"BUG: ChecklistItem.accepts (core/fieldwork/models.py) takes {value!r} as the reading of a number item "
        "(JSON from a device can carry NaN/Infinity; it is stored and printed as is); expected INVALID_VALUE")


def test_unknown_item() -> None:
    site = Site()
    site.start()
    assert site.refused("answer_item", {"item_id": "no_such_item", "value": True}).code == "UNKNOWN_ITEM"


def test_a_second_answer_to_an_item_is_a_conflict() -> None:
    site = Site()
    site.start()
    first = site.do("answer_item", {"item_id": "treatment_state", "value": "running"})
    with pytest.raises(Conflicted) as caught:
        site.do("answer_item", {"item_id": "treatment_state", "value": "stopped"}, staff=BOB)
    assert caught.value.code == "DUPLICATE_ANSWER"
    assert site.state.answers == {"treatment_state": first["record_id"]} and len(site.batch.entries) == 2


def test_stale_answer_is_a_conflict_and_stale_finding_is_refused() -> None:
    site = Site()
    site.start()
    answer = site.do("answer_item", {"item_id": "treatment_state", "value": "running"})["record_id"]
    finding = site.do("record_finding", {"violation_type": "fugitive_emission", "severity": "minor",
                                         "description": "无组织排放"})["record_id"]
    edited = site.do("answer_item", {"item_id": "treatment_state", "value": "idle"}, staff=BOB, record_id=answer,
                     base_version=1)
    assert edited["version"] == 2 and edited["record_id"] == answer
    assert site.state.answers == {"treatment_state": answer}
    assert site.do("record_finding", {"violation_type": "fugitive_emission", "severity": "general",
                                      "description": "乙改"}, staff=BOB, record_id=finding,
                   base_version=1)["version"] == 2
    with pytest.raises(Conflicted) as stale_answer:
        site.do("answer_item", {"item_id": "treatment_state", "value": "stopped"}, record_id=answer, base_version=1)
    assert stale_answer.value.code == "STALE_VERSION"
    stale_finding = site.refused("record_finding", {"violation_type": "fugitive_emission", "severity": "serious",
                                                    "description": "甲改"}, record_id=finding, base_version=1)
    assert type(stale_finding) is Refused and stale_finding.code == "STALE_VERSION"  # refused, not a conflict
    assert site.batch.records[answer].version == 2 and site.batch.records[answer].body["value"] == "idle"
    assert site.refused("answer_item", {"item_id": "treatment_state", "value": "idle"}, record_id=str(uuid.uuid4()),
                        base_version=1).code == "NOT_FOUND"  # an edit of a record that does not exist


def test_an_edit_that_moves_an_answer_to_another_item_leaves_no_stale_answer() -> None:
    site = Site()
    site.start()
    record = site.do("answer_item", {"item_id": "permit_posted", "value": True})["record_id"]
    moved = site.outcome("answer_item", {"item_id": "treatment_state", "value": "running"}, record_id=record,
                         base_version=1)
    site.sign_all()
    site.do("record_party", {"name": "王经理", "refused": True, "reason": "拒签"})
    # One record, whose latest version answers treatment_state: permit_posted is not answered.
    submitted = site.outcome("submit_task")
    assert moved != "APPLIED" or submitted == "REQUIRED_ITEMS_MISSING", (
        "BUG: core/fieldwork/ops.py _answer: an edit (baseVersion 1) of the answer to permit_posted that names "
        "item treatment_state is applied, yet inspection.answers keeps permit_posted -> the same record "
        f"({site.state.answers}); submission then gives {submitted} although permit_posted has no answer (and the "
        "record prints treatment_state's value under permit_posted). Refuse an item change or move the mapping")


@pytest.mark.parametrize(("payload", "code"), [
    ({"violation_type": "other", "severity": "fatal", "description": "x"}, "INVALID_VALUE"),
    ({"violation_type": "other", "description": "x"}, "INVALID_VALUE"),
    ({"severity": "minor", "description": "x"}, "REQUIRED"),
    ({"violation_type": "other", "severity": "minor", "description": ""}, "REQUIRED"),
])
def test_finding_fields(payload: dict[str, Any], code: str) -> None:
    site = Site()
    site.start()
    assert site.refused("record_finding", payload).code == code
    assert site.state.findings == []


def test_delete_is_a_versioned_tombstone() -> None:
    site = Site()
    site.start()
    answer = site.do("answer_item", {"item_id": "permit_posted", "value": False})["record_id"]
    assert site.refused("delete_record", record_id=answer, base_version=2).code == "STALE_VERSION"
    tomb = site.do("delete_record", record_id=answer, base_version=1)
    assert (tomb["kind"], tomb["version"]) == ("delete_record", 2) and site.state.answers == {}
    assert site.refused("answer_item", {"item_id": "permit_posted", "value": True}, record_id=answer,
                        base_version=2).code == "RECORD_DELETED"
    again = site.do("answer_item", {"item_id": "permit_posted", "value": True})  # a new record may answer it
    assert site.state.answers == {"permit_posted": again["record_id"]}


# -- evidence ----------------------------------------------------------------------------------------------------


def test_evidence_registration() -> None:
    site = Site()
    site.start()
    evidence = site.evidence(mime="image/jpg")
    [registration] = site.batch.registrations
    assert registration["_id"] == evidence and registration["mime_type"] == "image/jpeg"  # alias normalised
    assert (registration["status"], registration["received"], registration["sha256"]) == ("pending", 0, PHOTO_SHA)
    assert site.state.evidence == {evidence: "pending"}


@pytest.mark.parametrize(("kind", "mime", "size", "sha", "code"), [
    ("photo", "image/jpeg", 26 * media.MiB, PHOTO_SHA, "FILE_TOO_LARGE"),
    ("video", "video/mp4", 2 * media.GiB + 1, PHOTO_SHA, "FILE_TOO_LARGE"),
    ("photo", "video/mp4", 1000, PHOTO_SHA, "MIME_NOT_ALLOWED"),
    ("document", "image/jpeg", 1000, PHOTO_SHA, "MIME_NOT_ALLOWED"),
    ("photo", "image/jpeg", 0, PHOTO_SHA, "EMPTY_FILE"),
    ("selfie", "image/jpeg", 1000, PHOTO_SHA, "UNKNOWN_KIND"),
    ("photo", "image/jpeg", 1000, PHOTO_SHA.upper(), "INVALID_HASH"),
    ("photo", "image/jpeg", 1000, PHOTO_SHA[:63], "INVALID_HASH"),
    ("photo", "image/jpeg", 1000, "g" * 64, "INVALID_HASH"),
    ("photo", "image/jpeg", 1000, None, "INVALID_HASH"),
])
def test_evidence_limits(kind: str, mime: str, size: int, sha: str | None, code: str) -> None:
    site = Site()
    site.start()
    refused = site.refused("register_evidence", {"kind": kind, "mime_type": mime, "size": size, "sha256": sha})
    assert refused.code == code
    assert site.batch.registrations == [] and site.state.evidence == {}


def test_evidence_limits_come_from_the_context() -> None:
    site = Site()
    site.start()
    small = media.EvidenceLimits(photo=media.MiB)
    with pytest.raises(Refused) as caught:
        site.run(site.op("register_evidence", {"kind": "photo", "mime_type": "image/jpeg", "size": 2 * media.MiB,
                                               "sha256": PHOTO_SHA}), limits=small)
    assert caught.value.code == "FILE_TOO_LARGE"
    assert site.evidence() in site.state.evidence  # 2 KiB under the default limits


@pytest.mark.parametrize("size", ["big", {"bytes": 10}, [1]])
def test_a_malformed_size_is_refused_not_a_crash(size: Any) -> None:
    site = Site()
    site.start()
    payload = {"kind": "photo", "mime_type": "image/jpeg", "size": size, "sha256": PHOTO_SHA}
    try:
        code = site.outcome("register_evidence", payload)
    except (ValueError, TypeError) as exc:
        code = f"crash: {type(exc).__name__}: {exc}"
    assert code in ("INVALID_VALUE", "EMPTY_FILE"), (
        f"BUG: core/fieldwork/ops.py _evidence: int(p.get('size') or 0) with size={size!r} gives {code!r}; "
        "SyncService._apply_one catches only Refused, so the whole push fails with a masked internal error "
        "instead of this one op being REJECTED")
    assert site.batch.registrations == [] and site.state.evidence == {}


# -- sign-off ----------------------------------------------------------------------------------------------------


def test_signatures_are_the_signed_in_inspectors_own() -> None:
    site = Site()
    site.start()
    signed = site.do("sign", {"staff_id": BOB})  # a payload cannot name another signer
    assert list(site.state.signatures) == [ALICE]
    assert site.state.signatures[ALICE]["certificate_number"] == "C1"
    assert site.state.signatures[ALICE]["signed_at"] == NOW and signed["staff_id"] == ALICE
    assert site.refused("sign").code == "ALREADY_SIGNED"
    with pytest.raises(Replayed):
        site.run(make_op("sign", signed["body"], record_id=signed["record_id"]))  # the device sends it again
    site.do("sign", staff=BOB)
    assert list(site.state.signatures) == [ALICE, BOB]


@pytest.mark.parametrize(("expires", "code"), [
    ("2020-01-01", "CERTIFICATE_EXPIRED"), ("2025-06-02", "CERTIFICATE_EXPIRED"),
    ("0000-00-00", "CERTIFICATE_EXPIRED"),  # no inspector record: no certificate
    ("2025-06-03", None),
])
def test_an_expired_certificate_cannot_sign(expires: str, code: str | None) -> None:
    site = Site()
    site.start()
    site.do("sign", staff=BOB)
    bob_only = dict(site.state.signatures)
    if code is None:
        site.run(site.op("sign"), ALICE, expires=expires)  # valid through the day it expires
        assert list(site.state.signatures) == [BOB, ALICE]
        return
    with pytest.raises(Refused) as caught:
        site.run(site.op("sign"), ALICE, expires=expires)
    assert caught.value.code == code and site.state.signatures == bob_only
    site.answer_required()  # the rest is in place, yet one inspector's signature is missing
    site.do("record_party", {"name": "王经理", "refused": True, "reason": "拒绝签字"})
    assert site.refused("submit_task").code == "SIGNATURES_MISSING"


def test_submission_rules_in_order() -> None:
    site = Site()
    site.start()
    assert site.refused("submit_task").code == "SIGNATURES_MISSING"
    site.do("sign")
    missing = site.refused("submit_task")
    assert missing.code == "SIGNATURES_MISSING" and BOB in missing.message
    site.do("sign", staff=BOB)
    assert site.refused("submit_task").code == "PARTY_MISSING"
    site.do("record_party", {"name": "王经理", "refused": True, "reason": "负责人不在场"})
    site.do("answer_item", {"item_id": "permit_posted", "value": True})
    unanswered = site.refused("submit_task")
    assert unanswered.code == "REQUIRED_ITEMS_MISSING"
    assert "treatment_state" in unanswered.message and "outlet_ph" not in unanswered.message  # optional item
    site.do("answer_item", {"item_id": "treatment_state", "value": "stopped"})
    submitted = site.do("submit_task")
    assert submitted["kind"] == "submit_task"
    assert site.state.status == "submitted" and site.state.submitted_at == NOW  # no evidence to wait for
    assert site.batch.tasks["T1"].status == "submitted"


def test_a_single_inspector_cannot_submit() -> None:
    site = Site(inspectors=(ALICE,))
    site.start()
    site.answer_required()
    site.do("record_party", {"name": "王经理", "refused": True, "reason": "拒签"})
    site.sign_all()
    assert site.refused("submit_task").code == "SIGNATURES_MISSING"  # DOMAIN rule 1: at least two


def test_submission_waits_for_evidence() -> None:
    site = Site()
    site.start()
    site.ready()
    photo = site.evidence()
    site.do("submit_task")
    assert site.state.status == "awaiting_evidence" and len(site.state.evidence) == 2
    done = Site()
    done.start()
    done.ready()
    done.state.evidence = dict.fromkeys(done.state.evidence, "complete")  # every upload already completed
    done.do("submit_task")
    assert done.state.status == "submitted" and photo not in done.state.evidence


@pytest.mark.parametrize(("payload", "code"), [
    ({"name": "王经理", "refused": True, "reason": ""}, "REASON_REQUIRED"),
    ({"name": "王经理", "refused": True, "reason": "   "}, "REASON_REQUIRED"),
    ({"name": "王经理", "refused": True}, "REASON_REQUIRED"),
    ({"name": "王经理", "refused": False}, "SIGNATURE_MISSING"),
    ({"name": "王经理", "refused": False, "signature_evidence_id": str(uuid.uuid4())}, "SIGNATURE_MISSING"),
    ({"name": "  ", "refused": True, "reason": "拒签"}, "REQUIRED"),
    ({"refused": True, "reason": "拒签"}, "REQUIRED"),
])
def test_party_rules(payload: dict[str, Any], code: str) -> None:
    site = Site()
    site.start()
    assert site.refused("record_party", payload).code == code
    assert site.state.party is None


def test_party_signature_and_refusal_are_recorded() -> None:
    site = Site()
    site.start()
    signature = site.evidence(mime="image/png")
    site.do("record_party", {"name": " 王经理 ", "refused": False, "signature_evidence_id": signature})
    assert site.state.party is not None
    assert {k: site.state.party[k] for k in ("name", "refused", "signature_evidence_id")} == {
        "name": "王经理", "refused": False, "signature_evidence_id": signature}
    other = Site()
    other.start()
    other.do("record_party", {"name": "李主任", "refused": True, "reason": "认为采样点位置不当"})
    assert other.state.party is not None
    assert (other.state.party["refused"], other.state.party["reason"]) == (True, "认为采样点位置不当")


def test_a_null_refusal_reason_is_no_reason() -> None:
    site = Site()
    site.start()
    code = site.outcome("record_party", {"name": "王经理", "refused": True, "reason": None})
    assert code == "REASON_REQUIRED", (
        f"BUG: core/fieldwork/ops.py _party: a refusal with reason null (JSON) gives {code}, the reason stored as "
        f"{site.state.party and site.state.party['reason']!r} (str(None)); expected REASON_REQUIRED")


def test_the_party_signature_must_be_an_image() -> None:
    site = Site()
    site.start()
    recording = site.evidence(kind="audio", mime="audio/mpeg")
    code = site.outcome("record_party", {"name": "王经理", "refused": False, "signature_evidence_id": recording})
    assert code == "SIGNATURE_MISSING", (
        f"BUG: core/fieldwork/ops.py _party: an audio recording as the party's signature gives {code}; "
        "docs/fieldwork.md: the party's signature is an image registered as evidence")


# -- immutability and corrections -------------------------------------------------------------------------------


def submitted_site() -> Site:
    site = Site()
    site.start()
    site.ready()
    site.state.evidence = dict.fromkeys(site.state.evidence, "complete")  # the signature image is uploaded
    site.do("submit_task")
    assert site.state.status == "submitted"
    return site


@pytest.mark.parametrize(("type_", "payload"), [
    ("answer_item", {"item_id": "outlet_ph", "value": 7.0}),
    ("record_finding", {"violation_type": "other", "severity": "minor", "description": "补记"}),
    ("register_evidence", {"kind": "photo", "mime_type": "image/jpeg", "size": 10, "sha256": PHOTO_SHA}),
    ("sign", {}),
    ("record_party", {"name": "王经理", "refused": True, "reason": "补"}),
    ("submit_task", {}),
])
def test_a_submitted_inspection_is_read_only(type_: str, payload: dict[str, Any]) -> None:
    site = submitted_site()
    before = (dict(site.state.answers), list(site.state.findings), dict(site.state.signatures))
    assert site.refused(type_, payload, staff=BOB).code == "RECORD_IMMUTABLE"
    assert (site.state.answers, site.state.findings, site.state.signatures) == before


def test_edits_and_deletes_of_a_submitted_inspection_are_refused() -> None:
    site = submitted_site()
    answer = site.state.answers["permit_posted"]
    assert site.refused("answer_item", {"item_id": "permit_posted", "value": False}, record_id=answer,
                        base_version=1).code == "RECORD_IMMUTABLE"
    assert site.refused("delete_record", record_id=answer, base_version=1).code == "RECORD_IMMUTABLE"


def test_a_correction_is_a_new_inspection() -> None:
    site = Site()
    site.start()
    old = site.inspection
    assert site.refused("correct_task", {"supersedes": old, "reason": "漏记"}).code == "NOT_SUBMITTED"
    site.ready()
    site.do("submit_task")  # awaiting evidence: as read-only as submitted
    assert site.state.status == "awaiting_evidence"
    assert site.refused("correct_task", {"supersedes": old, "reason": " "}).code == "REASON_REQUIRED"
    assert site.refused("correct_task", {"supersedes": str(uuid.uuid4()), "reason": "漏记"}).code == "NOT_FOUND"
    new = site.do("correct_task", {"supersedes": old, "reason": "漏记一项问题"})
    fresh = site.batch.inspections[new["record_id"]]
    assert (fresh.supersedes, fresh.status, fresh.checklist_id) == (old, "in_progress", CHECKLIST.id)
    assert site.batch.inspections[old].superseded_by == fresh.id
    assert site.batch.inspections[old].status == "awaiting_evidence"  # the old one is kept as it was
    assert site.batch.active_inspection["T1"] == fresh.id and site.batch.tasks["T1"].status == "in_progress"
    assert site.refused("correct_task", {"supersedes": old, "reason": "再改"}).code == "NOT_FOUND"  # not current
    assert site.refused("answer_item", {"item_id": "outlet_ph", "value": 7.1}).code == "RECORD_IMMUTABLE"
    site.inspection = fresh.id
    site.do("answer_item", {"item_id": "outlet_ph", "value": 7.1})  # the correction is editable
    assert list(fresh.answers) == ["outlet_ph"]


def test_a_null_correction_reason_is_no_reason() -> None:
    site = submitted_site()
    code = site.outcome("correct_task", {"supersedes": site.inspection, "reason": None})
    assert code == "REASON_REQUIRED", (
        f"BUG: core/fieldwork/ops.py _correct: a correction with reason null (JSON) gives {code} "
        "(str(None) == 'None' is not blank); expected REASON_REQUIRED")


# -- the hash chain ----------------------------------------------------------------------------------------------


def test_each_entry_links_to_the_previous_hash() -> None:
    site = Site()
    site.start()
    site.ready()
    site.do("record_finding", {"violation_type": "other", "severity": "minor", "description": "异味"})
    with pytest.raises(Refused):
        site.do("answer_item", {"item_id": "outlet_ph", "value": "x"})  # refused ops are not in the chain
    site.do("submit_task")
    entries = site.batch.entries
    assert [e["prev"] for e in entries] == [GENESIS] + [e["hash"] for e in entries[:-1]]
    assert all(e["hash"] == chain_hash(e["prev"], e) for e in entries)
    assert len({e["hash"] for e in entries}) == len(entries)
    task = site.batch.tasks["T1"]
    assert (task.chain_head, task.chain_length) == (entries[-1]["hash"], len(entries)) and len(entries) == 9


def test_the_chain_covers_content_and_is_per_task() -> None:
    site = Site()
    entry = site.start()
    assert chain_hash(GENESIS, {**entry, "body": {"checklist_id": "M-01:v2"}}) != entry["hash"]
    assert chain_hash(GENESIS, {**entry, "flags": ["X"]}) != entry["hash"]
    assert chain_hash(GENESIS, {**entry, "author": "someone"}) != entry["hash"]
    assert chain_hash("1" * 64, entry) != entry["hash"]
    other = site.run(make_op("start_task", {"checklist_id": CHECKLIST.id}, task_id="T2"))
    assert other["prev"] == GENESIS  # a task's chain starts at genesis, independent of other tasks
    assert site.batch.tasks["T1"].chain_head == entry["hash"] and site.batch.tasks["T2"].chain_head == other["hash"]
    follow = site.do("answer_item", {"item_id": "permit_posted", "value": True})
    assert follow["prev"] == entry["hash"] and site.batch.tasks["T1"].chain_length == 2
