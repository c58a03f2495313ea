"""Correction orders, re-inspections, halts, daily continuous penalties and transfers as mutations."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from api.cases import types
from api.cases.mutations.common import StepMutation
from api.cases.mutations.filing import STEP
from core.accounts.roles import CASE_STAFF, SUPERVISORS
from core.cases.models import StepKind


@strawberry.enum(description="What ended the discharge (按日连续处罚办法 art. 20).")
class DischargeStop(Enum):
    SUSPENSION = "suspension"
    RESTRICTION = "restriction"
    SEAL = "seal"
    SEIZURE = "seizure"


@strawberry.input(description="责令改正违法行为决定书: issued, served, and the deadline to correct.")
class OrderCaseCorrectionInput:
    case_id: str
    step_id: str = STEP
    violation: int
    ordered_on: date
    served_on: date
    correct_by: date


@strawberry.input(description="A re-inspection (复查) of a correction order.")
class ReinspectCaseInput:
    case_id: str
    step_id: str = STEP
    order: str = strawberry.field(description="order-1, order-2, …")
    inspected_on: date
    finding: types.ReinspectionFinding
    note: str = ""


@strawberry.input(description="A halt, seal or seizure that ended the discharge: daily penalty days stop.")
class StopCaseDischargeInput:
    case_id: str
    step_id: str = STEP
    stopped_on: date
    measure: DischargeStop


@strawberry.input(description="The prior notice of a round of 按日连续处罚, from a re-inspection that found the "
                              "discharge continuing; days and amount are computed.")
class NoticeCaseDailyPenaltyInput:
    case_id: str
    step_id: str = STEP
    reinspection: str = strawberry.field(description="reinspection-1, …")
    served_on: date
    method: types.ServiceMethod


@strawberry.input(description="Decide a noticed round of daily penalties (after its hearing window).")
class DecideCaseDailyPenaltyInput:
    case_id: str
    step_id: str = STEP
    decision: str = strawberry.field(description="daily-1, …")
    decided_on: date


@strawberry.input(description="移送: a transfer to public security, with the documents sent.")
class TransferCaseInput:
    case_id: str
    step_id: str = STEP
    kind: types.TransferKind
    organ: str
    reported_on: date
    decided_at: datetime
    sent_at: datetime
    documents: list[str]


@strawberry.input(description="The receiving organ's receipt (回执).")
class RecordCaseTransferReceiptInput:
    case_id: str
    step_id: str = STEP
    transfer: str = strawberry.field(description="transfer-1, …")
    received_on: date
    receipt: str


@strawberry.input(description="What the receiving organ decided.")
class RecordCaseTransferOutcomeInput:
    case_id: str
    step_id: str = STEP
    transfer: str
    outcome: types.TransferOutcome
    outcome_on: date
    note: str = ""


MUTATIONS = [
    StepMutation("orderCaseCorrection", StepKind.CORRECTION_ORDER, OrderCaseCorrectionInput, CASE_STAFF,
                 "Record a served correction order."),
    StepMutation("reinspectCase", StepKind.REINSPECT, ReinspectCaseInput, CASE_STAFF,
                 "Record a re-inspection: corrected, or the discharge continuing."),
    StepMutation("stopCaseDischarge", StepKind.STOP_DISCHARGE, StopCaseDischargeInput, CASE_STAFF,
                 "Record that a halt, seal or seizure ended the discharge."),
    StepMutation("noticeCaseDailyPenalty", StepKind.DAILY_PENALTY_NOTICE, NoticeCaseDailyPenaltyInput, CASE_STAFF,
                 "Notify a round of 按日连续处罚 (art. 5 violation types only)."),
    StepMutation("decideCaseDailyPenalty", StepKind.DAILY_PENALTY_DECIDE, DecideCaseDailyPenaltyInput, SUPERVISORS,
                 "Decide a noticed round of daily penalties (按日连续处罚决定书)."),
    StepMutation("transferCase", StepKind.TRANSFER, TransferCaseInput, CASE_STAFF,
                 "Transfer to public security (detention, or a suspected crime)."),
    StepMutation("recordCaseTransferReceipt", StepKind.TRANSFER_RECEIPT, RecordCaseTransferReceiptInput, CASE_STAFF,
                 "Record the receipt of a transfer."),
    StepMutation("recordCaseTransferOutcome", StepKind.TRANSFER_OUTCOME, RecordCaseTransferOutcomeInput, CASE_STAFF,
                 "Record the outcome of a transfer."),
]
