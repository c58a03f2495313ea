"""From 案件审查 to 决定: the proposal, legal review, prior notice, statements, hearing, discussion, decision."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from core.accounts.roles import LEGAL_REVIEWERS, SUPERVISORS
from core.cases import law
from core.cases.models import (
    Case,
    CaseStatus,
    Decision,
    DecisionKind,
    Discretion,
    FineLine,
    Hearing,
    LegalReview,
    Measure,
    NoPenaltyReason,
    Notice,
    Outcome,
    PartyKind,
    Proposal,
    ProposedFine,
    ServiceMethod,
    Signed,
)
from core.cases.settings import CaseRules
from core.cases.steps.common import (
    Actor,
    StepInput,
    Text,
    check_date,
    out_of_order,
    require_handler,
    require_independent,
    require_role,
    require_status,
)
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, ValidationFailed

MAX_FINE_FEN = 10**13  # 100 billion yuan: far above any statutory maximum, far below 64 bits


class FineInput(StepInput):
    violation: int = Field(ge=0, le=19)
    fine_fen: int = Field(ge=0, le=MAX_FINE_FEN)
    discretion: Discretion | None = None  # the policy's recommendation, added by the service
    deviation_reason: str = Field(default="", max_length=4000)


class ReviewInput(StepInput):
    outcome: Outcome
    reviewed_on: date
    facts: str = Text
    fines: list[FineInput] = Field(default_factory=list, max_length=20)
    measures: list[Measure] = Field(default_factory=list, max_length=7)
    no_penalty_reason: NoPenaltyReason | None = None


def _check_fine(case: Case, line: FineInput, rules: CaseRules, field: str) -> ProposedFine:
    if line.violation >= len(case.violations):
        raise ValidationFailed([FieldError(field, f"case {case.id} has no violation {line.violation}",
                                           ErrorCode.INVALID_VALUE)])
    statutory = rules.fines[case.violations[line.violation].violation_type]
    if not statutory.minimum_fen <= line.fine_fen <= statutory.maximum_fen:
        raise ValidationFailed([FieldError(field, f"fine {line.fine_fen} fen is outside the statutory range "
                                           f"{statutory.minimum_fen}..{statutory.maximum_fen} fen",
                                           ErrorCode.FINE_OUT_OF_RANGE)])
    d = line.discretion
    if d is not None and not d.band_min_fen <= line.fine_fen <= d.band_max_fen and not line.deviation_reason.strip():
        raise ValidationFailed([FieldError(field, f"fine {line.fine_fen} fen is outside recommended level {d.level} "
                                           f"({d.band_min_fen}..{d.band_max_fen} fen): give the reason",
                                           ErrorCode.REASON_REQUIRED)])
    return ProposedFine(violation=line.violation, fine_fen=line.fine_fen, minimum_fen=statutory.minimum_fen,
                        maximum_fen=statutory.maximum_fen, discretion=d, deviation_reason=line.deviation_reason)


def review(case: Case, data: ReviewInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "propose the outcome")
    require_status(case, {CaseStatus.INVESTIGATING, CaseStatus.REVIEWED}, "review the case")
    assert case.filed_on is not None
    check_date(actor, data.reviewed_on, "reviewedOn", not_before=case.filed_on, before_what="the filing")
    if data.outcome == Outcome.PENALTY:
        if not data.fines and not data.measures:
            raise ValidationFailed([FieldError("fines", "a penalty needs a fine or a measure", ErrorCode.REQUIRED)])
        if len({f.violation for f in data.fines}) != len(data.fines):
            raise ValidationFailed([FieldError("fines", "one fine per violation", ErrorCode.INVALID_VALUE)])
        fines = [_check_fine(case, line, rules, f"fines.{i}") for i, line in enumerate(data.fines)]
    else:
        if data.no_penalty_reason is None:
            raise ValidationFailed([FieldError("noPenaltyReason", "不予处罚 needs a reason code",
                                               ErrorCode.REASON_REQUIRED)])
        if data.no_penalty_reason == NoPenaltyReason.FIRST_VIOLATION_MINOR and any(
                v.violation_type not in rules.first_violation_types for v in case.violations):
            raise ValidationFailed([FieldError("noPenaltyReason", "a violation type is not on the configured list of "
                                               "first violations that may go unpunished", ErrorCode.INVALID_VALUE)])
        fines = []
    total = sum(f.fine_fen for f in fines)
    proposal = Proposal(outcome=data.outcome, facts=data.facts, fines=fines,
                        measures=data.measures if data.outcome == Outcome.PENALTY else [],
                        no_penalty_reason=data.no_penalty_reason if data.outcome == Outcome.NO_PENALTY else None,
                        major=law.is_major(total, data.measures, major_fine_fen=rules.major_fine_fen),
                        proposed_by=actor.username, proposed_on=data.reviewed_on)
    # A new proposal needs its own legal review and discussion.
    return case.model_copy(update={"status": CaseStatus.REVIEWED, "proposal": proposal, "legal_review": None,
                                   "discussion": None})


class LegalReviewInput(StepInput):
    approved: bool
    reviewed_on: date
    opinion: str = Text


def legal_review(case: Case, data: LegalReviewInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, LEGAL_REVIEWERS, "give the legal review (法制审核)")
    require_independent(case, actor, "review it")
    require_status(case, {CaseStatus.REVIEWED}, "review it legally")
    assert case.proposal is not None
    check_date(actor, data.reviewed_on, "reviewedOn", not_before=case.proposal.proposed_on,
               before_what="the proposal")
    result = LegalReview(by=actor.username, on=data.reviewed_on, approved=data.approved, opinion=data.opinion)
    status = CaseStatus.REVIEWED if data.approved else CaseStatus.INVESTIGATING
    return case.model_copy(update={"legal_review": result, "status": status})


def _require_major_checks(case: Case, proposal: Proposal, *, discussion: bool) -> None:
    if not proposal.major:
        return
    if case.legal_review is None or not case.legal_review.approved:
        raise Conflict(f"case {case.id} is a major decision: it needs an approving legal review first",
                       code=ErrorCode.LEGAL_REVIEW_REQUIRED)
    if discussion and case.discussion is None:
        raise Conflict(f"case {case.id} is a major decision: it needs the collective discussion first",
                       code=ErrorCode.DISCUSSION_REQUIRED)


class PriorNoticeInput(StepInput):
    served_on: date
    method: ServiceMethod


def notice_for(fine_fen: int, measures: list[Measure], served_on: date, method: ServiceMethod, case: Case,
               rules: CaseRules) -> Notice:
    right = law.hearing_right(fine_fen, individual=case.party_kind == PartyKind.INDIVIDUAL,
                              organisation_threshold_fen=rules.hearing_threshold_organisation_fen,
                              individual_threshold_fen=rules.hearing_threshold_individual_fen,
                              measures=[m.value for m in measures])
    return Notice(served_on=served_on, method=method, hearing_right=right, fine_fen=fine_fen,
                  request_by=served_on + timedelta(days=rules.hearing_request_days))


def prior_notice(case: Case, data: PriorNoticeInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "serve the prior notice")
    require_status(case, {CaseStatus.REVIEWED}, "serve the prior notice")
    proposal = case.proposal
    assert proposal is not None  # REVIEWED has one
    if proposal.outcome != Outcome.PENALTY:
        raise out_of_order(case, "a 不予处罚 proposal has no prior notice: decide it")
    _require_major_checks(case, proposal, discussion=False)
    check_date(actor, data.served_on, "servedOn", not_before=proposal.proposed_on, before_what="the proposal")
    notice = notice_for(proposal.fine_fen, proposal.measures, data.served_on, data.method, case, rules)
    return case.model_copy(update={"status": CaseStatus.NOTIFIED, "notice": notice})


class StatementInput(StepInput):
    received_on: date
    text: str = Text
    waives_hearing: bool = False


def statement(case: Case, data: StatementInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record the party's statement")
    require_status(case, {CaseStatus.NOTIFIED}, "record a statement")
    assert case.notice is not None
    check_date(actor, data.received_on, "receivedOn", not_before=case.notice.served_on, before_what="the notice")
    line = f"{data.received_on.isoformat()}: {data.text}" + (" (放弃听证)" if data.waives_hearing else "")
    update: dict[str, object] = {"statements": [*case.statements, line]}
    if data.waives_hearing and case.hearing is None:
        update["notice"] = case.notice.model_copy(update={"request_by": data.received_on - timedelta(days=1)})
    return case.model_copy(update=update)


class HearingRequestInput(StepInput):
    requested_on: date


def hearing_request(case: Case, data: HearingRequestInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record a hearing request")
    require_status(case, {CaseStatus.NOTIFIED}, "request a hearing")
    notice = case.notice
    assert notice is not None
    if not notice.hearing_right:
        raise out_of_order(case, "the notified penalty gives no right to a hearing")
    if case.hearing is not None:
        raise out_of_order(case, "a hearing was already requested")
    check_date(actor, data.requested_on, "requestedOn", not_before=notice.served_on, before_what="the notice")
    if data.requested_on > notice.request_by:
        raise ValidationFailed([FieldError("requestedOn", f"the window closed on {notice.request_by}",
                                           ErrorCode.TOO_LATE)])
    return case.model_copy(update={"hearing": Hearing(requested_on=data.requested_on)})


class HearingNoticeInput(StepInput):
    notified_on: date
    hearing_on: date


def hearing_notice(case: Case, data: HearingNoticeInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "set the hearing")
    require_status(case, {CaseStatus.NOTIFIED}, "set the hearing")
    hearing = case.hearing
    if hearing is None or hearing.held_on is not None:
        raise out_of_order(case, "no hearing waits to be set")
    check_date(actor, data.notified_on, "notifiedOn", not_before=hearing.requested_on, before_what="the request")
    if data.hearing_on < data.notified_on + timedelta(days=rules.hearing_notice_days):
        raise ValidationFailed([FieldError("hearingOn", f"the party must be told {rules.hearing_notice_days} days "
                                           "ahead", ErrorCode.NOTICE_TOO_SHORT)])
    return case.model_copy(update={"hearing": hearing.model_copy(update={"notified_on": data.notified_on,
                                                                           "hearing_on": data.hearing_on})})


class HearingInput(StepInput):
    held_on: date
    record: str = Text
    report: str = Text


def hearing(case: Case, data: HearingInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "hold the hearing")
    require_independent(case, actor, "host its hearing")
    require_status(case, {CaseStatus.NOTIFIED}, "hold the hearing")
    current = case.hearing
    if current is None or current.hearing_on is None or current.held_on is not None:
        raise out_of_order(case, "no hearing has been set")
    check_date(actor, data.held_on, "heldOn", not_before=current.hearing_on, before_what="the hearing date")
    held = current.model_copy(update={"held_on": data.held_on, "host": actor.username, "record": data.record,
                                      "report": data.report})
    return case.model_copy(update={"hearing": held})


class DiscussionInput(StepInput):
    held_on: date
    participants: list[str] = Field(min_length=3, max_length=30)
    conclusion: str = Text


def collective_discussion(case: Case, data: DiscussionInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "record the collective discussion")
    require_status(case, {CaseStatus.REVIEWED, CaseStatus.NOTIFIED}, "discuss it")
    assert case.proposal is not None
    check_date(actor, data.held_on, "heldOn", not_before=case.proposal.proposed_on, before_what="the proposal")
    summary = f"{', '.join(data.participants)}: {data.conclusion}"
    return case.model_copy(update={"discussion": Signed(by=summary, on=data.held_on)})


class DecideLine(StepInput):
    violation: int = Field(ge=0, le=19)
    fine_fen: int = Field(ge=0, le=MAX_FINE_FEN)
    deviation_reason: str = Field(default="", max_length=4000)


class DecideInput(StepInput):
    decided_on: date
    fines: list[DecideLine] | None = None  # None: as proposed
    reason: str = Field(default="", max_length=4000)


def _hearing_settled(case: Case, notice: Notice, day: date) -> None:
    if case.hearing is not None:
        if case.hearing.held_on is None:
            raise Conflict(f"case {case.id}: the requested hearing has not been held", code=ErrorCode.HEARING_PENDING)
    elif day <= notice.request_by:
        raise Conflict(f"case {case.id}: the party may ask for a hearing until {notice.request_by}",
                       code=ErrorCode.HEARING_PENDING)


def _decided_lines(case: Case, proposal: Proposal, data: DecideInput, rules: CaseRules) -> list[FineLine]:
    if data.fines is None:
        return [FineLine(violation=f.violation, fine_fen=f.fine_fen) for f in proposal.fines]
    proposed = {f.violation: f for f in proposal.fines}
    lines = []
    for i, line in enumerate(data.fines):
        before = proposed.get(line.violation)
        if before is None or line.fine_fen > before.fine_fen:
            raise Conflict(f"case {case.id}: the decision may not be heavier than the prior notice",
                           code=ErrorCode.HEAVIER_THAN_NOTIFIED, field=f"fines.{i}")
        checked = _check_fine(case, FineInput(violation=line.violation, fine_fen=line.fine_fen,
                                              discretion=before.discretion, deviation_reason=line.deviation_reason),
                              rules, f"fines.{i}")
        lines.append(FineLine(violation=checked.violation, fine_fen=checked.fine_fen))
    return lines


def decide(case: Case, data: DecideInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "decide the case")
    require_status(case, {CaseStatus.REVIEWED, CaseStatus.NOTIFIED}, "decide")
    proposal = case.proposal
    assert proposal is not None
    assert case.number is not None
    _require_major_checks(case, proposal, discussion=True)
    if proposal.outcome == Outcome.PENALTY:
        if case.notice is None:
            raise out_of_order(case, "a penalty needs the prior notice (事先告知) first")
        check_date(actor, data.decided_on, "decidedOn", not_before=case.notice.served_on, before_what="the notice")
        _hearing_settled(case, case.notice, data.decided_on)
        lines = _decided_lines(case, proposal, data, rules)
        decision = Decision(id="main", number=case.number, kind=DecisionKind.PENALTY,
                            fine_fen=sum(line.fine_fen for line in lines), lines=lines, measures=proposal.measures)
    else:
        check_date(actor, data.decided_on, "decidedOn", not_before=proposal.proposed_on, before_what="the proposal")
        decision = Decision(id="main", number=case.number, kind=DecisionKind.NO_PENALTY,
                            no_penalty_reason=proposal.no_penalty_reason)
    assert case.decision_due is not None
    decision = decision.model_copy(update={"decided_on": data.decided_on, "decided_by": actor.username,
                                           "reason": data.reason, "decided_late": data.decided_on > case.decision_due})
    return case.model_copy(update={"status": CaseStatus.DECIDED, "decisions": [decision]})
