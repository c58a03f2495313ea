"""Case documents printed from a case built in memory: the fold of recorded steps, as the service stores them."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from core.accounts.models import Role
from core.cases.chain import GENESIS, step_hash
from core.cases.documents import CASE_REF, DocumentKind, available, document_hash, render
from core.cases.models import Case, Step, StepKind
from core.cases.settings import CaseRules
from core.cases.steps import fold
from core.errors import NotFound

RULES = CaseRules()
AT = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
NUMBER = "陕环罚〔2025〕7号"
PARTY = "西安市灞桥区清源化工有限公司"
CREDIT_CODE = "91610111MA6TXXXX0X"
PHOTO = hashlib.sha256(b"photo").hexdigest()
CHAIN = hashlib.sha256(b"chain").hexdigest()
YUAN = 100
OFFICER = ("insp1", Role.INSPECTOR, "SX-610100-0001")
CHIEF = ("chief", Role.SUPERVISOR, None)
LAWYER = ("lex", Role.LEGAL_REVIEWER, None)


class Recorder:
    """Steps recorded as the service records them (hash-chained), and the case they fold into."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.steps: list[Step] = []

    def add(self, who: tuple[str, Role, str | None], step_kind: StepKind, /, **request: Any) -> Recorder:
        seq = len(self.steps) + 1
        prev = self.steps[-1].hash if self.steps else GENESIS
        username, role, inspector = who
        body = {"case_id": self.case_id, "seq": seq, "kind": step_kind.value, "request": request, "computed": {},
                "actor": username, "roles": [role.value], "inspector_id": inspector, "at": AT.isoformat()}
        self.steps.append(Step(id=f"{self.case_id[:-4]}{seq:04d}", case_id=self.case_id, seq=seq, kind=step_kind,
                               request=request, actor=username, roles=[role.value], inspector_id=inspector, at=AT,
                               prev_hash=prev, hash=step_hash(prev, body)))
        return self

    @property
    def case(self) -> Case:
        folded = fold(self.steps, RULES)
        assert folded is not None
        return folded


def opened(case_id: str = "6f1c2b3a-0000-4000-8000-000000000001") -> Recorder:
    return Recorder(case_id).add(
        OFFICER, StepKind.OPEN, id=case_id, credit_code=CREDIT_CODE, party_name=PARTY, jurisdiction="610100",
        representative="王强", source="onsite_finding", discovered_on="2025-01-05",
        violations=[{"violation_type": "exceed_standard", "description": "废水总排口COD超标2.1倍",
                     "legal_basis": "《水污染防治法》第八十三条"}],
        evidence=[{"kind": "evidence_file", "id": "ev-1", "sha256": PHOTO},
                  {"kind": "field_record", "id": "task-1", "sha256": CHAIN},
                  {"kind": "power_alert", "id": "pa-1"}],
        officers=["SX-610100-0001", "SX-610100-0002"])


def filed(case_id: str = "6f1c2b3a-0000-4000-8000-000000000001") -> Recorder:
    return opened(case_id).add(CHIEF, StepKind.APPROVE_FILING, approved=True, filed_on="2025-01-10", number=NUMBER)


def walked() -> Recorder:
    """A major penalty (250,000 yuan) through legal review, notice, hearing and discussion to a served decision,
    with a correction order, one round of daily penalties, an instalment plan and a transfer."""
    discretion = {"factors": {"harm": 2}, "level": 1, "recommended_fen": 200_000 * YUAN,
                  "band_min_fen": 100_000 * YUAN, "band_max_fen": 280_000 * YUAN, "policy_version": "v1"}
    return (filed()
            .add(OFFICER, StepKind.REVIEW, outcome="penalty", reviewed_on="2025-01-20", facts="COD连续三日超标排放",
                 fines=[{"violation": 0, "fine_fen": 250_000 * YUAN, "discretion": discretion}], measures=["correction"])
            .add(LAWYER, StepKind.LEGAL_REVIEW, approved=True, reviewed_on="2025-01-21", opinion="事实清楚")
            .add(OFFICER, StepKind.PRIOR_NOTICE, served_on="2025-01-22", method="direct")
            .add(OFFICER, StepKind.HEARING_REQUEST, requested_on="2025-01-24")
            .add(CHIEF, StepKind.HEARING_NOTICE, notified_on="2025-01-25", hearing_on="2025-02-05")
            .add(CHIEF, StepKind.HEARING, held_on="2025-02-05", record="听证笔录", report="维持拟处罚意见")
            .add(CHIEF, StepKind.COLLECTIVE_DISCUSSION, held_on="2025-02-08", participants=["甲", "乙", "丙"],
                 conclusion="同意")
            .add(CHIEF, StepKind.DECIDE, decided_on="2025-02-10")
            .add(OFFICER, StepKind.SERVE, served_on="2025-02-11", method="direct")
            .add(OFFICER, StepKind.CORRECTION_ORDER, violation=0, ordered_on="2025-02-11", served_on="2025-02-11",
                 correct_by="2025-02-21")
            .add(OFFICER, StepKind.APPLY_PAYMENT_PLAN, kind="instalments", applied_on="2025-02-12", reason="资金困难",
                 requested=[{"due_on": "2025-03-31", "amount_fen": 125_000 * YUAN},
                            {"due_on": "2025-04-30", "amount_fen": 125_000 * YUAN}])
            .add(CHIEF, StepKind.APPROVE_PAYMENT_PLAN, approved=True, approved_on="2025-02-13")
            .add(OFFICER, StepKind.TRANSFER, kind="crime", organ="西安市公安局环境食品药品犯罪侦查支队",
                 reported_on="2025-02-14", decided_at="2025-02-15T10:00:00+08:00",
                 sent_at="2025-02-15T16:00:00+08:00", documents=["案件移送审批表", "涉嫌犯罪案件调查报告"])
            .add(OFFICER, StepKind.REINSPECT, order="order-1", inspected_on="2025-03-03", finding="continuing")
            .add(OFFICER, StepKind.DAILY_PENALTY_NOTICE, reinspection="reinspection-1", served_on="2025-03-04",
                 method="direct")
            .add(CHIEF, StepKind.DAILY_PENALTY_DECIDE, decision="daily-1", decided_on="2025-03-15"))


@pytest.fixture(scope="module")
def full() -> Recorder:
    return walked()


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_a_walked_case_has_every_document(full: Recorder) -> None:
    assert available(full.case) == [
        (DocumentKind.FILING, CASE_REF), (DocumentKind.PRIOR_NOTICE, CASE_REF), (DocumentKind.PRIOR_NOTICE, "daily-1"),
        (DocumentKind.HEARING_NOTICE, CASE_REF), (DocumentKind.PENALTY_DECISION, "main"),
        (DocumentKind.CORRECTION_ORDER, "order-1"), (DocumentKind.DAILY_PENALTY_DECISION, "daily-1"),
        (DocumentKind.PAYMENT_PLAN_APPROVAL, "main"), (DocumentKind.TRANSFER, "transfer-1")]


# What each document must say beyond the case number, the party and the evidence.
EXPECTED = {
    (DocumentKind.FILING, CASE_REF): ["立案审批表", "同意立案", "2025年1月10日", "2025年4月10日前作出决定", "chief"],
    (DocumentKind.PRIOR_NOTICE, CASE_REF): ["行政处罚事先告知书", "250,000.00元", "COD连续三日超标排放",
                                            "5日内（即2025年1月27日前）", "陈述和申辩", "insp1"],
    (DocumentKind.PRIOR_NOTICE, "daily-1"): ["行政处罚事先告知书", "按日连续处罚第1次", "5,000,000.00元", "共20日"],
    (DocumentKind.HEARING_NOTICE, CASE_REF): ["听证通知书", "2025年2月5日", "2025年1月24日", "申请回避"],
    (DocumentKind.PENALTY_DECISION, "main"): [
        "行政处罚决定书", "250,000.00元", "100,000.00元至1,000,000.00元", "第1档", "《水污染防治法》第八十三条",
        "责令改正", "维持拟处罚意见", "15日内（即2025年2月26日前）", "每日按罚款数额的3%加处罚款", "不超过罚款的数额",
        "60日内", "6个月内", "2025年2月10日"],
    (DocumentKind.CORRECTION_ORDER, "order-1"): ["责令改正违法行为决定书", "2025年2月21日前改正", "按日连续处罚",
                                                 "60日内"],
    (DocumentKind.DAILY_PENALTY_DECISION, "daily-1"): [
        "按日连续处罚决定书", "2025年2月12日至2025年3月3日", "20日", "250,000.00元×20=5,000,000.00元",
        "第五十九条", "3%", "2025年3月15日"],
    (DocumentKind.PAYMENT_PLAN_APPROVAL, "main"): ["延期（分期）缴纳罚款批准书", "分期缴纳", "2025年3月31日",
                                                   "2025年4月30日", "125,000.00元", "资金困难", "2025年2月13日"],
    (DocumentKind.TRANSFER, "transfer-1"): ["移送书", "涉嫌环境犯罪案件移送", "国务院令第310号",
                                            "西安市公安局环境食品药品犯罪侦查支队", "涉嫌犯罪案件调查报告", "2025-02-1510:00+08:00"],
}


@pytest.mark.parametrize(("kind", "ref"), list(EXPECTED))
def test_each_document_prints_the_case_the_party_its_content_and_the_evidence(
        full: Recorder, kind: DocumentKind, ref: str) -> None:
    pdf = render(full.case, kind, ref, steps=full.steps)
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in ["西安市生态环境局", NUMBER, PARTY, CREDIT_CODE, "《水污染防治法》第八十三条", PHOTO, CHAIN,
                     "—", *EXPECTED[(kind, ref)]]:
        assert re.sub(r"\s+", "", expected) in text, expected


def test_a_document_quotes_the_hash_of_the_step_it_records(full: Recorder) -> None:
    notice_step = next(s for s in full.steps if s.kind == StepKind.PRIOR_NOTICE)
    assert notice_step.hash in text_of(render(full.case, DocumentKind.PRIOR_NOTICE, steps=full.steps))
    # Without the steps the signer the case does not keep is unknown: printed as "—", no step hash.
    bare = text_of(render(full.case, DocumentKind.PRIOR_NOTICE))
    assert notice_step.hash not in bare and "签发人Signedby—" in bare


def test_the_same_state_gives_the_same_bytes(full: Recorder) -> None:
    first = render(full.case, DocumentKind.PENALTY_DECISION, "main", steps=full.steps)
    again = render(walked().case, DocumentKind.PENALTY_DECISION, "main", steps=walked().steps)
    assert first == again
    assert document_hash(first) == hashlib.sha256(first).hexdigest() == document_hash(again)


def test_a_later_step_that_changes_the_document_changes_its_bytes(full: Recorder) -> None:
    before = render(full.case, DocumentKind.PENALTY_DECISION, "main", steps=full.steps)
    revised = walked().add(CHIEF, StepKind.REVISE, revised_on="2025-04-01", outcome="changed",
                           fine_fen=200_000 * YUAN, reason="复议变更")
    after = render(revised.case, DocumentKind.PENALTY_DECISION, "main", steps=revised.steps)
    assert after != before
    assert "200,000.00元" in text_of(after) and "经行政复议或者诉讼变更" in text_of(after)


def test_a_no_penalty_decision() -> None:
    recorder = filed().add(OFFICER, StepKind.REVIEW, outcome="no_penalty", reviewed_on="2025-01-20",
                           facts="已于当日改正", no_penalty_reason="minor_corrected_harmless")
    recorder.add(CHIEF, StepKind.DECIDE, decided_on="2025-01-25")
    assert available(recorder.case) == [(DocumentKind.FILING, CASE_REF), (DocumentKind.NO_PENALTY_DECISION, "main")]
    text = text_of(render(recorder.case, DocumentKind.NO_PENALTY_DECISION, "main", steps=recorder.steps))
    for expected in ["不予行政处罚决定书", NUMBER, PARTY, "违法行为轻微并及时改正，没有造成危害后果", "第三十三条第一款",
                     "决定不予行政处罚", "60日内", "6个月内", PHOTO]:
        assert expected in text, expected
    with pytest.raises(NotFound, match="penalty_decision"):
        render(recorder.case, DocumentKind.PENALTY_DECISION, "main")


def test_a_refused_filing_prints_the_refusal_with_its_reason() -> None:
    recorder = opened().add(CHIEF, StepKind.APPROVE_FILING, approved=False, filed_on="2025-01-10", reason="线索不实")
    text = text_of(render(recorder.case, DocumentKind.FILING, steps=recorder.steps))
    assert "不予立案：线索不实" in text and "未立案" in text and PARTY in text


def test_documents_the_case_does_not_have_yet_are_not_found() -> None:
    with pytest.raises(NotFound, match="has no filing document"):
        render(opened().case, DocumentKind.FILING)
    case = filed().case
    assert available(case) == [(DocumentKind.FILING, CASE_REF)]
    for kind in DocumentKind:
        if kind != DocumentKind.FILING:
            with pytest.raises(NotFound):
                render(case, kind, CASE_REF)


def test_an_unknown_ref_names_the_ones_the_case_has(full: Recorder) -> None:
    with pytest.raises(NotFound, match="no correction_order document order-9; it has order-1"):
        render(full.case, DocumentKind.CORRECTION_ORDER, "order-9")
    with pytest.raises(NotFound, match="daily_penalty_decision document main; it has daily-1"):
        render(full.case, DocumentKind.DAILY_PENALTY_DECISION)
