"""A case (案件) as records: the steps that happened, and the state they add up to."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CaseStatus(StrEnum):
    FILING = "filing"  # opened, waiting for the 立案 approval
    NOT_FILED = "not_filed"  # filing refused (closed)
    INVESTIGATING = "investigating"  # 调查取证
    REVIEWED = "reviewed"  # 案件审查 proposed an outcome
    NOTIFIED = "notified"  # 行政处罚事先告知 served
    DECIDED = "decided"  # the decision made; service, execution, publication follow
    CLOSED = "closed"  # 结案


class StepKind(StrEnum):
    OPEN = "open"
    APPROVE_FILING = "approve_filing"
    ADD_EVIDENCE = "add_evidence"
    REVIEW = "review"
    LEGAL_REVIEW = "legal_review"
    PRIOR_NOTICE = "prior_notice"
    STATEMENT = "statement"
    HEARING_REQUEST = "hearing_request"
    HEARING_NOTICE = "hearing_notice"
    HEARING = "hearing"
    COLLECTIVE_DISCUSSION = "collective_discussion"
    EXTEND_DEADLINE = "extend_deadline"
    DECIDE = "decide"
    SERVE = "serve"
    PUBLISH = "publish"
    REVISE = "revise"
    CORRECTION_ORDER = "correction_order"
    REINSPECT = "reinspect"
    STOP_DISCHARGE = "stop_discharge"
    DAILY_PENALTY_NOTICE = "daily_penalty_notice"
    DAILY_PENALTY_DECIDE = "daily_penalty_decide"
    APPLY_PAYMENT_PLAN = "apply_payment_plan"
    APPROVE_PAYMENT_PLAN = "approve_payment_plan"
    PAYMENT = "payment"
    REMIND = "remind"
    COURT_APPLICATION = "court_application"
    TRANSFER = "transfer"
    TRANSFER_RECEIPT = "transfer_receipt"
    TRANSFER_OUTCOME = "transfer_outcome"
    CLOSE = "close"


class SourceKind(StrEnum):
    ONSITE_FINDING = "onsite_finding"
    POWER_ALERT = "power_alert"
    DRONE_FLIGHT = "drone_flight"
    COMPLAINT = "complaint"
    HOTSPOT = "hotspot"
    LEAD = "lead"
    OTHER = "other"


class EvidenceKind(StrEnum):
    FIELD_RECORD = "field_record"  # an inspection task's records, by the head of its hash chain
    EVIDENCE_FILE = "evidence_file"  # a photo, video, audio or document, by its SHA-256
    POWER_ALERT = "power_alert"
    DRONE_FLIGHT = "drone_flight"
    COMPLAINT = "complaint"
    HOTSPOT = "hotspot"


class PartyKind(StrEnum):
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class Outcome(StrEnum):
    PENALTY = "penalty"
    NO_PENALTY = "no_penalty"


class NoPenaltyReason(StrEnum):
    """行政处罚法 art. 33 and DOMAIN rule 26."""

    MINOR_CORRECTED_HARMLESS = "minor_corrected_harmless"  # 违法行为轻微并及时改正，没有造成危害后果
    FIRST_VIOLATION_MINOR = "first_violation_minor"  # 初次违法且危害后果轻微并及时改正 (configured types)
    NO_VIOLATION = "no_violation"  # the facts do not establish a violation
    TIME_BARRED = "time_barred"  # 超过追责时效 (art. 36)


class Measure(StrEnum):
    CORRECTION = "correction"  # 责令改正
    PRODUCTION_RESTRICTION = "production_restriction"  # 责令限制生产
    SUSPENSION = "suspension"  # 责令停产整治
    CLOSURE = "closure"  # 责令停业、关闭
    PERMIT_REVOCATION = "permit_revocation"  # 吊销许可证
    QUALIFICATION_LOWERED = "qualification_lowered"  # 降低资质等级
    CONFISCATION = "confiscation"  # 没收违法所得、非法财物


class DecisionKind(StrEnum):
    PENALTY = "penalty"  # 行政处罚决定书
    NO_PENALTY = "no_penalty"  # 不予行政处罚决定书
    DAILY_PENALTY = "daily_penalty"  # 按日连续处罚决定书


class ServiceMethod(StrEnum):
    DIRECT = "direct"  # 直接送达 (handed over on announcement)
    LEFT = "left"  # 留置送达
    MAIL = "mail"  # 邮寄送达
    ELECTRONIC = "electronic"  # 电子送达 (with the party's consent)
    ENTRUSTED = "entrusted"  # 委托送达
    PUBLIC_NOTICE = "public_notice"  # 公告送达


class ReinspectionFinding(StrEnum):
    CONTINUING = "continuing"  # the discharge goes on: a daily penalty may follow
    CORRECTED = "corrected"


class PlanKind(StrEnum):
    DEFERRAL = "deferral"  # 延期缴纳
    INSTALMENTS = "instalments"  # 分期缴纳


class TransferKind(StrEnum):
    DETENTION = "detention"  # 环境保护法 art. 63: to public security for administrative detention
    CRIME = "crime"  # 涉嫌犯罪 (国务院令第310号)


class TransferOutcome(StrEnum):
    FILED = "filed"  # 立案侦查 / detention case accepted
    DECLINED = "declined"  # 不予立案
    RETURNED = "returned"  # returned to the agency
    DETAINED = "detained"  # administrative detention imposed


# --- the state a case's steps add up to -------------------------------------------------------------


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Violation(Model):
    violation_type: str
    description: str = ""
    legal_basis: str  # the article breached and the penalty article (statutory table unless given)


class EvidenceRef(Model):
    kind: EvidenceKind
    id: str
    sha256: str | None = None  # the file's hash, or the head of a task's hash chain


class Discretion(Model):
    """What the penalty-discretion policy recommended, kept with the decision (DOMAIN rule 25)."""

    factors: dict[str, int]
    repeat_offence: bool = False
    level: int
    recommended_fen: int
    band_min_fen: int
    band_max_fen: int
    policy_version: str
    rules: list[str] = Field(default_factory=list)


class ProposedFine(Model):
    violation: int  # index into the case's violations
    fine_fen: int
    minimum_fen: int
    maximum_fen: int
    discretion: Discretion | None = None
    deviation_reason: str = ""


class Proposal(Model):
    outcome: Outcome
    facts: str
    fines: list[ProposedFine] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    no_penalty_reason: NoPenaltyReason | None = None
    major: bool = False
    proposed_by: str
    proposed_on: date

    @property
    def fine_fen(self) -> int:
        return sum(f.fine_fen for f in self.fines)


class Signed(Model):
    by: str
    on: date


class LegalReview(Signed):
    approved: bool
    opinion: str


class Notice(Model):
    served_on: date
    method: ServiceMethod
    hearing_right: bool
    request_by: date  # the party asks for a hearing by this day (art. 64)
    fine_fen: int  # what was notified: the decision may not be heavier (art. 45)


class Hearing(Model):
    requested_on: date
    notified_on: date | None = None
    hearing_on: date | None = None
    held_on: date | None = None
    host: str | None = None
    record: str = ""
    report: str = ""


class Payment(Model):
    paid_on: date
    amount_fen: int
    receipt: str


class Instalment(Model):
    due_on: date
    amount_fen: int


class PaymentPlan(Model):
    kind: PlanKind
    applied_on: date
    reason: str
    requested: list[Instalment]
    approved: bool | None = None
    approved_by: str | None = None
    approved_on: date | None = None
    instalments: list[Instalment] = Field(default_factory=list)


class DailyPenalty(Model):
    order: str  # the correction order it follows
    reinspection: str
    counted_from: date
    counted_to: date
    days: int
    daily_fen: int  # the original fine (art. 19)


class FineLine(Model):
    violation: int  # index into the case's violations
    fine_fen: int


class Decision(Model):
    id: str  # "main" or "daily-<n>"
    number: str  # the document number (文号)
    kind: DecisionKind
    fine_fen: int = 0
    lines: list[FineLine] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    no_penalty_reason: NoPenaltyReason | None = None
    reason: str = ""
    notice: Notice | None = None  # a daily penalty's own prior notice
    daily: DailyPenalty | None = None
    decided_on: date | None = None
    decided_by: str | None = None
    decided_late: bool = False
    served_on: date | None = None
    service_method: ServiceMethod | None = None
    due_on: date | None = None
    plan: PaymentPlan | None = None
    payments: list[Payment] = Field(default_factory=list)
    published_on: date | None = None
    revision: str | None = None  # revoked / changed on review, with the reason
    revised_on: date | None = None


class CorrectionOrder(Model):
    id: str
    violation: int
    ordered_on: date
    served_on: date
    correct_by: date
    reinspect_by: date
    status: str = "open"  # open | corrected | stopped
    counted_to: date  # the last day already counted by daily penalties (starts at the service date)


class Reinspection(Model):
    id: str
    order: str
    inspected_on: date
    finding: ReinspectionFinding
    note: str = ""
    penalised: bool = False


class Transfer(Model):
    id: str
    kind: TransferKind
    organ: str
    reported_on: date
    decided_at: datetime
    sent_at: datetime
    documents: list[str]
    decided_late: bool = False
    sent_late: bool = False
    received_on: date | None = None
    receipt: str | None = None
    outcome: TransferOutcome | None = None
    outcome_on: date | None = None
    outcome_note: str = ""


class Deadline(Model):
    """One thing the case waits for and the day it is due; overdue once that day has passed."""

    name: str  # filing, decision, service, publication, payment, court_enforcement, reinspection
    due_on: date
    ref: str = ""  # the decision or correction order it concerns


class Case(Model):
    id: str
    number: str | None = None
    jurisdiction: str
    credit_code: str
    party_name: str
    party_kind: PartyKind
    representative: str = ""  # the legal representative or the individual: masked when published
    source: SourceKind
    source_id: str | None = None
    violations: list[Violation]
    evidence: list[EvidenceRef] = Field(default_factory=list)
    officers: list[str]  # inspector ids, at least two certified
    opened_by: str
    discovered_on: date
    opened_on: date
    status: CaseStatus = CaseStatus.FILING
    filed_on: date | None = None
    filed_by: str | None = None
    decision_due: date | None = None
    extension_days: int = 0
    proposal: Proposal | None = None
    legal_review: LegalReview | None = None
    notice: Notice | None = None
    statements: list[str] = Field(default_factory=list)
    hearing: Hearing | None = None
    discussion: Signed | None = None
    decisions: list[Decision] = Field(default_factory=list)
    orders: list[CorrectionOrder] = Field(default_factory=list)
    reinspections: list[Reinspection] = Field(default_factory=list)
    discharge_stopped_on: date | None = None
    transfers: list[Transfer] = Field(default_factory=list)
    reminded_on: date | None = None
    court_applied_on: date | None = None
    closed_on: date | None = None
    closed_by: str | None = None
    archive_hash: str | None = None  # the head of the steps' hash chain when the case closed
    summary: str = ""  # 结案 summary
    deadlines: list[Deadline] = Field(default_factory=list)
    version: int = 0  # the number of steps
    head_hash: str = ""

    def decision(self, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.id == decision_id), None)

    @property
    def main(self) -> Decision | None:
        return self.decision("main")


class Step(Model):
    """One step as it was recorded: never changed afterwards."""

    id: str  # the caller's UUID: a replay returns this step, another payload under it is ID_CONFLICT
    case_id: str
    seq: int
    kind: StepKind
    request: dict[str, Any]  # what the caller sent
    computed: dict[str, Any] = Field(default_factory=dict)  # what the service added: number, hashes, discretion
    actor: str
    roles: list[str]
    inspector_id: str | None = None
    at: datetime
    prev_hash: str
    hash: str  # SHA-256 of prev_hash and this step's canonical JSON: the case's steps form a chain


# --- the daily deadline job ---------------------------------------------------------------------------


class CaseFlag(Model):
    """The daily deadline job found the case overdue on ``day``: the deadlines that had passed by then."""

    case_id: str
    day: date
    jurisdiction: str
    deadlines: list[Deadline]
    at: datetime


class FlagReport(Model):
    """The overdue cases of one day, by deadline; ``new`` is what a run of the job flagged (None when read)."""

    day: date
    cases: int
    by_deadline: dict[str, int]
    new: int | None = None
