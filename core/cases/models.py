"""A case (案件) as records: the steps that happened, and the state they add up to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.cases.enums import (
    CaseStatus,
    DecisionKind,
    EvidenceKind,
    Measure,
    NoPenaltyReason,
    Outcome,
    PartyKind,
    PlanKind,
    ReinspectionFinding,
    ServiceMethod,
    SourceKind,
    StepKind,
    TransferKind,
    TransferOutcome,
)

# The case vocabularies live in enums.py and are re-exported here, beside the records that use them.
__all__ = ["Case", "CaseFlag", "CaseStatus", "CorrectionOrder", "DailyPenalty", "Deadline", "Decision",
           "DecisionKind", "Discretion", "EvidenceKind", "EvidenceRef", "FineLine", "FlagReport", "Hearing",
           "Instalment", "LegalReview", "Measure", "Model", "NoPenaltyReason", "Notice", "Outcome", "PartyKind",
           "Payment", "PaymentPlan", "PlanKind", "Proposal", "ProposedFine", "Reinspection", "ReinspectionFinding",
           "ServiceMethod", "Signed", "SourceKind", "Step", "StepKind", "Transfer", "TransferKind",
           "TransferOutcome", "Violation"]


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
