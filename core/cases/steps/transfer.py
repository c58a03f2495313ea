"""两法衔接: transfers to the public security organ, their receipt and their outcome (国务院令第310号)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import AwareDatetime, Field

from core.cases.models import Case, CaseStatus, Transfer, TransferKind, TransferOutcome
from core.cases.settings import CaseRules
from core.cases.steps.common import Actor, StepInput, check_date, out_of_order, require_handler, require_status
from core.error_codes import ErrorCode
from core.errors import FieldError, NotFound, ValidationFailed

ANY_OPEN = {CaseStatus.FILING, CaseStatus.INVESTIGATING, CaseStatus.REVIEWED, CaseStatus.NOTIFIED,
            CaseStatus.DECIDED}


class TransferInput(StepInput):
    kind: TransferKind
    organ: str = Field(min_length=1, max_length=200)
    reported_on: date
    decided_at: AwareDatetime
    sent_at: AwareDatetime
    documents: list[str] = Field(min_length=1, max_length=50)


def transfer(case: Case, data: TransferInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "transfer the case")
    require_status(case, ANY_OPEN, "transfer")
    check_date(actor, data.reported_on, "reportedOn", not_before=case.discovered_on, before_what="the discovery")
    check_date(actor, data.decided_at.date(), "decidedAt", not_before=data.reported_on, before_what="the report")
    if data.sent_at < data.decided_at or data.sent_at > actor.at:
        raise ValidationFailed([FieldError("sentAt", "sent before the transfer was decided, or in the future",
                                           ErrorCode.DATE_ORDER)])
    moved = Transfer(id=f"transfer-{len(case.transfers) + 1}", kind=data.kind, organ=data.organ,
                     reported_on=data.reported_on, decided_at=data.decided_at, sent_at=data.sent_at,
                     documents=data.documents,
                     decided_late=data.decided_at.date()
                     > data.reported_on + timedelta(days=rules.transfer_decision_days),
                     sent_late=data.sent_at > data.decided_at + timedelta(hours=rules.transfer_send_hours))
    return case.model_copy(update={"transfers": [*case.transfers, moved]})


def _transfer(case: Case, transfer_id: str) -> Transfer:
    found = next((t for t in case.transfers if t.id == transfer_id), None)
    if found is None:
        raise NotFound(f"case {case.id} has no transfer {transfer_id}", field="transfer")
    return found


def _replace(case: Case, moved: Transfer) -> Case:
    return case.model_copy(update={"transfers": [moved if t.id == moved.id else t for t in case.transfers]})


class ReceiptInput(StepInput):
    transfer: str
    received_on: date
    receipt: str = Field(min_length=1, max_length=100)


def transfer_receipt(case: Case, data: ReceiptInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record a transfer receipt")
    require_status(case, ANY_OPEN, "record a receipt")
    moved = _transfer(case, data.transfer)
    if moved.received_on is not None:
        raise out_of_order(case, f"{moved.id} was received on {moved.received_on}")
    check_date(actor, data.received_on, "receivedOn", not_before=moved.sent_at.date(), before_what="the sending")
    return _replace(case, moved.model_copy(update={"received_on": data.received_on, "receipt": data.receipt}))


class OutcomeInput(StepInput):
    transfer: str
    outcome: TransferOutcome
    outcome_on: date
    note: str = Field(default="", max_length=4000)


def transfer_outcome(case: Case, data: OutcomeInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "record a transfer's outcome")
    require_status(case, ANY_OPEN, "record an outcome")
    moved = _transfer(case, data.transfer)
    if moved.received_on is None:
        raise out_of_order(case, f"{moved.id} has no receipt yet")
    if moved.outcome is not None:
        raise out_of_order(case, f"{moved.id} was answered on {moved.outcome_on}")
    check_date(actor, data.outcome_on, "outcomeOn", not_before=moved.received_on, before_what="the receipt")
    return _replace(case, moved.model_copy(update={"outcome": data.outcome, "outcome_on": data.outcome_on,
                                                   "outcome_note": data.note}))

