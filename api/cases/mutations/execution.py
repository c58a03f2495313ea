"""After the decision: service, publication, revision, payment plans and payments, court enforcement, closing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry

from api.cases import types
from api.cases.mutations.common import StepMutation
from api.cases.mutations.filing import STEP
from core.accounts.roles import CASE_STAFF, SUPERVISORS
from core.cases.models import StepKind

DECISION = strawberry.field(default="main", description="main, or a daily penalty's id (daily-1, …)")


@strawberry.enum(description="How a decision was revised on administrative review or by a court.")
class DecisionRevision(Enum):
    REVOKED = "revoked"
    CHANGED = "changed"


@strawberry.input(description="Record the service (送达) of a decision; the payment due date follows.")
class ServeCaseDecisionInput:
    case_id: str
    step_id: str = STEP
    served_on: date
    method: types.ServiceMethod
    decision: str = DECISION


@strawberry.input(description="Publish a decision on the public page and feeds (personal data masked).")
class PublishCaseDecisionInput:
    case_id: str
    step_id: str = STEP
    published_on: date
    decision: str = DECISION


@strawberry.input(description="A decision revoked or changed (never heavier) on review; published with the reason.")
class ReviseCaseDecisionInput:
    case_id: str
    step_id: str = STEP
    revised_on: date
    outcome: DecisionRevision
    reason: str
    fine_yuan: Decimal | None = None
    decision: str = DECISION


@strawberry.input(description="An amount due on a day.")
class InstalmentInput:
    due_on: date
    amount_yuan: Decimal


@strawberry.input(description="The party's application for deferral (one date) or instalments.")
class ApplyCasePaymentPlanInput:
    case_id: str
    step_id: str = STEP
    kind: types.PaymentPlanKind
    applied_on: date
    reason: str
    requested: list[InstalmentInput]
    decision: str = DECISION


@strawberry.input(description="Approve or refuse the application; approved instalments must add up to the unpaid "
                              "fine and fall after the original due date.")
class ApproveCasePaymentPlanInput:
    case_id: str
    step_id: str = STEP
    approved: bool
    approved_on: date
    instalments: list[InstalmentInput] | None = strawberry.field(default=None, description="Omit: as requested.")
    decision: str = DECISION


@strawberry.input(description="A payment received (partial payments allowed; OVERPAYMENT above what is owed).")
class RecordCasePaymentInput:
    case_id: str
    step_id: str = STEP
    paid_on: date
    amount_yuan: Decimal
    receipt: str
    decision: str = DECISION


@strawberry.input(description="The written reminder (催告) before a court application.")
class RemindCasePartyInput:
    case_id: str
    step_id: str = STEP
    reminded_on: date


@strawberry.input(description="The application to the court for enforcement.")
class ApplyCaseCourtEnforcementInput:
    case_id: str
    step_id: str = STEP
    applied_on: date


@strawberry.input(description="结案: every decision served and paid (or sent to court), transfers answered.")
class CloseCaseInput:
    case_id: str
    step_id: str = STEP
    closed_on: date
    summary: str


MUTATIONS = [
    StepMutation("serveCaseDecision", StepKind.SERVE, ServeCaseDecisionInput, CASE_STAFF,
                 "Record that a decision was served."),
    StepMutation("publishCaseDecision", StepKind.PUBLISH, PublishCaseDecisionInput, SUPERVISORS,
                 "Publish a decision (一公开)."),
    StepMutation("reviseCaseDecision", StepKind.REVISE, ReviseCaseDecisionInput, SUPERVISORS,
                 "Record a decision revoked or changed on review."),
    StepMutation("applyCasePaymentPlan", StepKind.APPLY_PAYMENT_PLAN, ApplyCasePaymentPlanInput, CASE_STAFF,
                 "Record the party's application for deferral or instalments."),
    StepMutation("approveCasePaymentPlan", StepKind.APPROVE_PAYMENT_PLAN, ApproveCasePaymentPlanInput, SUPERVISORS,
                 "Approve or refuse a deferral or instalments (延期（分期）缴纳罚款批准书)."),
    StepMutation("recordCasePayment", StepKind.PAYMENT, RecordCasePaymentInput, CASE_STAFF,
                 "Record a payment; late amounts accrue 加处罚款."),
    StepMutation("remindCaseParty", StepKind.REMIND, RemindCasePartyInput, CASE_STAFF,
                 "Record the written reminder (催告)."),
    StepMutation("applyCaseCourtEnforcement", StepKind.COURT_APPLICATION, ApplyCaseCourtEnforcementInput,
                 SUPERVISORS, "Record the application to the court (inside its window, after the reminder)."),
    StepMutation("closeCase", StepKind.CLOSE, CloseCaseInput, SUPERVISORS, "结案 with the archive hash."),
]
