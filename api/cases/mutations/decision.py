"""From review to decision: reviewCase, legalReviewCase, prior notice, statements, hearing, discussion, decideCase."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from api.cases import types
from api.cases.mutations.common import StepMutation
from api.cases.mutations.filing import STEP
from core.accounts.roles import CASE_STAFF, LEGAL_REVIEWERS, SUPERVISORS
from core.cases.models import StepKind


@strawberry.input(description="The discretion factors (环执法〔2019〕42号), each 1 (lightest) to 5.")
class DiscretionFactorsInput:
    harm: int
    fault: int
    means: int
    object: int
    correction: int
    repeat_offence: bool = False
    corrected: bool = False
    caused_harm: bool = True


@strawberry.input(description="A proposed fine for one violation; with factors, the policy's recommendation is "
                              "kept with it and a fine outside the recommended level needs deviationReason.")
class ProposedFineInput:
    violation: int = strawberry.field(description="Index into the case's violations.")
    fine_yuan: Decimal
    factors: DiscretionFactorsInput | None = None
    deviation_reason: str = ""


@strawberry.input(description="案件审查: the proposed outcome.")
class ReviewCaseInput:
    case_id: str
    step_id: str = STEP
    outcome: types.CaseOutcome
    reviewed_on: date
    facts: str
    fines: list[ProposedFineInput] = strawberry.field(default_factory=list)
    measures: list[types.Measure] = strawberry.field(default_factory=list)
    no_penalty_reason: types.NoPenaltyReason | None = None


@strawberry.input(description="法制审核 by a legal reviewer who is not a handling officer.")
class LegalReviewCaseInput:
    case_id: str
    step_id: str = STEP
    approved: bool
    reviewed_on: date
    opinion: str


@strawberry.input(description="行政处罚事先告知 as served; the hearing right and window follow from it.")
class ServeCasePriorNoticeInput:
    case_id: str
    step_id: str = STEP
    served_on: date
    method: types.ServiceMethod


@strawberry.input(description="The party's statement (陈述申辩), possibly waiving the hearing.")
class RecordCaseStatementInput:
    case_id: str
    step_id: str = STEP
    received_on: date
    text: str
    waives_hearing: bool = False


@strawberry.input(description="The party asks for a hearing (TOO_LATE after the window).")
class RequestCaseHearingInput:
    case_id: str
    step_id: str = STEP
    requested_on: date


@strawberry.input(description="Set the hearing at least the configured days after notifying the party.")
class ScheduleCaseHearingInput:
    case_id: str
    step_id: str = STEP
    notified_on: date
    hearing_on: date


@strawberry.input(description="The hearing as held: its record and report (the host is not a handling officer).")
class RecordCaseHearingInput:
    case_id: str
    step_id: str = STEP
    held_on: date
    record: str
    report: str


@strawberry.input(description="集体讨论 of a major case.")
class RecordCaseDiscussionInput:
    case_id: str
    step_id: str = STEP
    held_on: date
    participants: list[str]
    conclusion: str


@strawberry.input(description="A decided fine for one violation (never above the notified one).")
class DecidedFineInput:
    violation: int
    fine_yuan: Decimal
    deviation_reason: str = ""


@strawberry.input(description="决定: the penalty as notified (or lighter), or 不予处罚 as proposed.")
class DecideCaseInput:
    case_id: str
    step_id: str = STEP
    decided_on: date
    fines: list[DecidedFineInput] | None = strawberry.field(default=None, description="Omit: as proposed.")
    reason: str = ""


MUTATIONS = [
    StepMutation("reviewCase", StepKind.REVIEW, ReviewCaseInput, CASE_STAFF,
                 "案件审查: propose a penalty (fines in the statutory range, measures) or 不予处罚 with a reason."),
    StepMutation("legalReviewCase", StepKind.LEGAL_REVIEW, LegalReviewCaseInput, LEGAL_REVIEWERS,
                 "法制审核 of the proposal; a returned case goes back to investigation."),
    StepMutation("serveCasePriorNotice", StepKind.PRIOR_NOTICE, ServeCasePriorNoticeInput, CASE_STAFF,
                 "Record the served prior notice (事先告知书)."),
    StepMutation("recordCaseStatement", StepKind.STATEMENT, RecordCaseStatementInput, CASE_STAFF,
                 "Record the party's statement and defence."),
    StepMutation("requestCaseHearing", StepKind.HEARING_REQUEST, RequestCaseHearingInput, CASE_STAFF,
                 "Record the party's hearing request."),
    StepMutation("scheduleCaseHearing", StepKind.HEARING_NOTICE, ScheduleCaseHearingInput, SUPERVISORS,
                 "Notify the hearing (听证通知书)."),
    StepMutation("recordCaseHearing", StepKind.HEARING, RecordCaseHearingInput, SUPERVISORS,
                 "Record the hearing and its report."),
    StepMutation("recordCaseDiscussion", StepKind.COLLECTIVE_DISCUSSION, RecordCaseDiscussionInput, SUPERVISORS,
                 "Record the collective discussion of a major case."),
    StepMutation("decideCase", StepKind.DECIDE, DecideCaseInput, SUPERVISORS,
                 "Decide the case (行政处罚决定书 or 不予行政处罚决定书)."),
]
