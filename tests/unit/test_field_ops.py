"""core.fieldwork.ops.apply on a hand-built batch: start, flags, answers and values, findings, evidence."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

import pytest
from field_ops_support import BOB, CHECKLIST, NOW, PHOTO_SHA, SITE, Site, make_op
from pydantic import ValidationError

from core.evidence import media
from core.fieldwork.ops import Conflicted, Refused, Replayed


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
