"""GraphQL types of cases: thin views of core.cases models, money in yuan as decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.cases.decisions import CaseDecision, CaseNotice, _decision, _notice
from api.cases.enums import (
    CaseOutcome,
    CaseStatus,
    DecisionKind,
    EvidenceKind,
    Measure,
    NoPenaltyReason,
    PartyKind,
    PaymentPlanKind,
    ReinspectionFinding,
    ServiceMethod,
    SourceKind,
    StepKind,
    TransferKind,
    TransferOutcome,
    yuan,
)
from api.context import Context
from api.graphql.relay import Node, PageInfo, UserError, to_global_id
from core.cases import models
from core.cases.settings import CaseRules

__all__ = ["Case", "CaseConnection", "CaseDecision", "CaseEdge", "CaseNotice", "CaseOutcome", "CasePayload",
           "CaseStatus", "DecisionKind", "EvidenceKind", "Measure", "NoPenaltyReason", "PartyKind", "PaymentPlanKind",
           "ReinspectionFinding", "ServiceMethod", "SourceKind", "StepKind", "TransferKind", "TransferOutcome"]



@strawberry.type(description="A violation with its legal basis.")
class CaseViolation:
    violation_type: str
    description: str
    legal_basis: str


@strawberry.type(description="Evidence the case relies on, by reference, with its hash.")
class CaseEvidence:
    kind: EvidenceKind
    evidence_id: str
    sha256: str | None = strawberry.field(description="SHA-256 of the file, or the head of a task's hash chain.")


@strawberry.type(description="What the penalty-discretion policy recommended (DOMAIN rule 25).")
class CaseDiscretion:
    level: int
    recommended_yuan: Decimal
    band_min_yuan: Decimal
    band_max_yuan: Decimal
    policy_version: str
    rules: list[str]


@strawberry.type(description="A proposed fine for one violation.")
class ProposedFine:
    violation: int = strawberry.field(description="Index into the case's violations.")
    fine_yuan: Decimal
    minimum_yuan: Decimal
    maximum_yuan: Decimal
    discretion: CaseDiscretion | None
    deviation_reason: str


@strawberry.type(description="The outcome proposed by the case review (案件审查).")
class CaseProposal:
    outcome: CaseOutcome
    facts: str
    fines: list[ProposedFine]
    fine_yuan: Decimal
    measures: list[Measure]
    no_penalty_reason: NoPenaltyReason | None
    major: bool = strawberry.field(description="Needs legal review and collective discussion.")
    proposed_by: str
    proposed_on: date


@strawberry.type(description="A requested hearing (听证).")
class CaseHearing:
    requested_on: date
    notified_on: date | None
    hearing_on: date | None
    held_on: date | None
    host: str | None
    record: str
    report: str


@strawberry.type(description="A signed review or discussion.")
class CaseSignature:
    by: str
    on: date
    approved: bool | None = None
    opinion: str = ""


@strawberry.type(description="A correction order (责令改正违法行为决定书).")
class CorrectionOrder:
    order_id: str
    violation: int
    ordered_on: date
    served_on: date
    correct_by: date
    reinspect_by: date
    status: str
    counted_to: date


@strawberry.type(description="A re-inspection (复查).")
class Reinspection:
    reinspection_id: str
    order: str
    inspected_on: date
    finding: ReinspectionFinding
    note: str
    penalised: bool


@strawberry.type(description="A transfer to the public security organ (两法衔接).")
class CaseTransfer:
    transfer_id: str
    kind: TransferKind
    organ: str
    reported_on: date
    decided_at: datetime
    sent_at: datetime
    documents: list[str]
    decided_late: bool
    sent_late: bool
    received_on: date | None
    receipt: str | None
    outcome: TransferOutcome | None
    outcome_on: date | None
    outcome_note: str


@strawberry.type(description="Something the case waits for and its due date.")
class CaseDeadline:
    name: str = strawberry.field(description="filing, decision, service, publication, payment, court_enforcement "
                                             "or reinspection")
    due_on: date
    ref: str = strawberry.field(description="The decision or correction order it concerns, if any.")
    overdue: bool


@strawberry.type(description="One recorded step: never changed; each step's hash covers the previous one.")
class CaseStep:
    seq: int
    kind: StepKind
    actor: str
    roles: list[str]
    at: datetime
    prev_hash: str
    hash: str
    request: JSON = strawberry.field(description="What the caller sent.")
    computed: JSON = strawberry.field(
        description="What the server added: the case number, evidence hashes, the discretion recommendation.")

    @classmethod
    def from_domain(cls, step: models.Step) -> CaseStep:
        return cls(seq=step.seq, kind=StepKind(step.kind.value), actor=step.actor, roles=step.roles, at=step.at,
                   prev_hash=step.prev_hash, hash=step.hash, request=JSON(step.request), computed=JSON(step.computed))


def _proposal(p: models.Proposal | None) -> CaseProposal | None:
    if p is None:
        return None
    return CaseProposal(
        outcome=CaseOutcome(p.outcome.value), facts=p.facts, fine_yuan=yuan(p.fine_fen),
        fines=[ProposedFine(violation=f.violation, fine_yuan=yuan(f.fine_fen), minimum_yuan=yuan(f.minimum_fen),
                            maximum_yuan=yuan(f.maximum_fen), deviation_reason=f.deviation_reason,
                            discretion=CaseDiscretion(level=f.discretion.level,
                                                      recommended_yuan=yuan(f.discretion.recommended_fen),
                                                      band_min_yuan=yuan(f.discretion.band_min_fen),
                                                      band_max_yuan=yuan(f.discretion.band_max_fen),
                                                      policy_version=f.discretion.policy_version,
                                                      rules=f.discretion.rules) if f.discretion else None)
               for f in p.fines],
        measures=[Measure(m.value) for m in p.measures],
        no_penalty_reason=NoPenaltyReason(p.no_penalty_reason.value) if p.no_penalty_reason else None,
        major=p.major, proposed_by=p.proposed_by, proposed_on=p.proposed_on)


@strawberry.type(description="A case (案件): the state its recorded steps add up to. Nothing in it is edited in "
                             "place; every change is a new step in its timeline.")
class Case(Node):
    case_id: str
    number: str | None = strawberry.field(description="The case number, e.g. 陕环罚〔2027〕12号, given at filing.")
    status: CaseStatus
    jurisdiction: str
    credit_code: str
    party_name: str
    party_kind: PartyKind
    representative: str
    source: SourceKind
    source_id: str | None
    violations: list[CaseViolation]
    evidence: list[CaseEvidence]
    officers: list[str] = strawberry.field(description="Staff ids of the handling officers.")
    opened_by: str
    discovered_on: date
    opened_on: date
    filed_on: date | None
    filed_by: str | None
    decision_due: date | None
    extension_days: int
    proposal: CaseProposal | None
    legal_review: CaseSignature | None
    notice: CaseNotice | None
    statements: list[str]
    hearing: CaseHearing | None
    discussion: CaseSignature | None
    decisions: list[CaseDecision]
    correction_orders: list[CorrectionOrder]
    reinspections: list[Reinspection]
    discharge_stopped_on: date | None
    transfers: list[CaseTransfer]
    reminded_on: date | None
    court_applied_on: date | None
    closed_on: date | None
    closed_by: str | None
    archive_hash: str | None = strawberry.field(description="The head of the steps' hash chain at closing.")
    summary: str
    deadlines: list[CaseDeadline]
    version: int = strawberry.field(description="The number of recorded steps.")
    head_hash: str
    _model: strawberry.Private[models.Case]

    @strawberry.field(description="Every recorded step, in order (one query for a whole page of cases).")
    async def timeline(self, info: Info[Context, None]) -> list[CaseStep]:
        steps = await info.context.case_steps.load(self.case_id)
        return [CaseStep.from_domain(s) for s in steps]

    @classmethod
    def from_domain(cls, c: models.Case, rules: CaseRules) -> Case:
        today = datetime.now(UTC).date()
        review = c.legal_review
        return cls(
            id=to_global_id("Case", c.id), case_id=c.id, number=c.number, status=CaseStatus(c.status.value),
            jurisdiction=c.jurisdiction, credit_code=c.credit_code, party_name=c.party_name,
            party_kind=PartyKind(c.party_kind.value), representative=c.representative,
            source=SourceKind(c.source.value), source_id=c.source_id,
            violations=[CaseViolation(violation_type=v.violation_type, description=v.description,
                                      legal_basis=v.legal_basis) for v in c.violations],
            evidence=[CaseEvidence(kind=EvidenceKind(e.kind.value), evidence_id=e.id, sha256=e.sha256)
                      for e in c.evidence],
            officers=c.officers, opened_by=c.opened_by, discovered_on=c.discovered_on, opened_on=c.opened_on,
            filed_on=c.filed_on, filed_by=c.filed_by, decision_due=c.decision_due, extension_days=c.extension_days,
            proposal=_proposal(c.proposal),
            legal_review=CaseSignature(by=review.by, on=review.on, approved=review.approved, opinion=review.opinion)
            if review else None,
            notice=_notice(c.notice), statements=c.statements,
            hearing=CaseHearing(**c.hearing.model_dump()) if c.hearing else None,
            discussion=CaseSignature(by=c.discussion.by, on=c.discussion.on) if c.discussion else None,
            decisions=[_decision(d, rules) for d in c.decisions],
            correction_orders=[CorrectionOrder(order_id=o.id, violation=o.violation, ordered_on=o.ordered_on,
                                               served_on=o.served_on, correct_by=o.correct_by,
                                               reinspect_by=o.reinspect_by, status=o.status, counted_to=o.counted_to)
                               for o in c.orders],
            reinspections=[Reinspection(reinspection_id=r.id, order=r.order, inspected_on=r.inspected_on,
                                        finding=ReinspectionFinding(r.finding.value), note=r.note,
                                        penalised=r.penalised) for r in c.reinspections],
            discharge_stopped_on=c.discharge_stopped_on,
            transfers=[CaseTransfer(transfer_id=t.id, kind=TransferKind(t.kind.value), organ=t.organ,
                                    reported_on=t.reported_on, decided_at=t.decided_at, sent_at=t.sent_at,
                                    documents=t.documents, decided_late=t.decided_late, sent_late=t.sent_late,
                                    received_on=t.received_on, receipt=t.receipt,
                                    outcome=TransferOutcome(t.outcome.value) if t.outcome else None,
                                    outcome_on=t.outcome_on, outcome_note=t.outcome_note) for t in c.transfers],
            reminded_on=c.reminded_on, court_applied_on=c.court_applied_on, closed_on=c.closed_on,
            closed_by=c.closed_by, archive_hash=c.archive_hash, summary=c.summary,
            deadlines=[CaseDeadline(name=d.name, due_on=d.due_on, ref=d.ref, overdue=d.due_on < today)
                       for d in c.deadlines],
            version=c.version, head_hash=c.head_hash, _model=c)


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type(description="A page of cases in filing order.")
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo


@strawberry.type(description="The case after the step, or why the step was refused (nothing was written).")
class CasePayload:
    case: Case | None
    replayed: bool = strawberry.field(description="The step id was recorded before: this is the stored result.")
    user_errors: list[UserError]



@strawberry.type(description="A penalty decision not published within the configured working days (supervisors).")
class OverduePublication:
    case_id: str
    case_number: str
    decision_id: str
    decision_number: str
    kind: str
    jurisdiction: str
    party_name: str
    credit_code: str
    decided_on: date
    due_on: date
    days_overdue: int


@strawberry.type(description="How many cases in the viewer's scope the daily job found late on a day, by deadline.")
class CaseDeadlineCount:
    deadline: str
    cases: int


@strawberry.type(description="The daily deadline job's findings for one day.")
class CaseDeadlineReport:
    day: date
    cases: int
    by_deadline: list[CaseDeadlineCount]
