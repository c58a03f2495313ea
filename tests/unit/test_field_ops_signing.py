"""core.fieldwork.ops.apply on a hand-built batch: sign-off, the party, immutability after submission, the chain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from field_ops_support import ALICE, BOB, CHECKLIST, NOW, PHOTO_SHA, Site, make_op

from core.fieldwork.ops import Refused, Replayed
from core.fieldwork.state import GENESIS, chain_hash

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
