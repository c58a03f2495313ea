"""Opening a case and the filing stage: approveCaseFiling, addCaseEvidence, extendCaseDeadline."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.cases import types
from api.cases.mutations.common import StepMutation, case_payload, check_uuid, refused, to_data
from api.context import Context
from api.graphql.payloads import payload
from core.accounts.roles import CASE_STAFF, SUPERVISORS
from core.cases.models import Case, StepKind

STEP = strawberry.field(description="A UUID you generate for this step: its id and idempotency key.")


@strawberry.input(description="A violation found, with its legal basis (default: the statutory table's).")
class CaseViolationInput:
    violation_type: str = strawberry.field(description="One of the violation types of recommendPenalty.")
    description: str = ""
    legal_basis: str = ""


@strawberry.input(description="Evidence by reference: a task's field record, an evidence file, a power alert, a "
                              "drone flight, a complaint or a hotspot alert (UNKNOWN_EVIDENCE if it does not exist).")
class CaseEvidenceInput:
    kind: types.EvidenceKind
    evidence_id: str


@strawberry.input(description="Open a case (立案申请) from a finding.")
class OpenCaseInput:
    case_id: str = strawberry.field(description="A UUID you generate: the case's id and idempotency key.")
    credit_code: str
    source: types.SourceKind
    source_id: str | None = None
    violations: list[CaseViolationInput]
    officers: list[str] = strawberry.field(description="Staff ids of at least two certified handling officers.")
    discovered_on: date
    evidence: list[CaseEvidenceInput] = strawberry.field(default_factory=list)
    party_kind: types.PartyKind = types.PartyKind.ORGANISATION
    representative: str = strawberry.field(default="", description="Legal representative; masked when published.")


async def _open(info: Info[Context, None], data: OpenCaseInput) -> tuple[Case, bool]:
    context = info.context
    fields = to_data(data)
    fields["id"] = check_uuid(data.case_id, "caseId")
    return await context.services.cases.open(context.viewer, fields, request_id=context.request_id)


async def open_case(info: Info[Context, None], input: OpenCaseInput) -> types.CasePayload:
    return await payload(_open(info, input), ok=lambda done: case_payload(info, done), refused=refused)


@strawberry.input(description="Approve or refuse the filing (立案审批). Not by a handling officer (SELF_APPROVAL).")
class ApproveCaseFilingInput:
    case_id: str
    step_id: str = STEP
    approved: bool
    filed_on: date
    reason: str = strawberry.field(default="", description="Required when refused.")


@strawberry.input(description="Attach more evidence by reference.")
class AddCaseEvidenceInput:
    case_id: str
    step_id: str = STEP
    evidence: list[CaseEvidenceInput]


@strawberry.input(description="The one extension of the decision deadline, approved by a supervisor.")
class ExtendCaseDeadlineInput:
    case_id: str
    step_id: str = STEP
    days: int
    reason: str


MUTATIONS = [
    StepMutation("approveCaseFiling", StepKind.APPROVE_FILING, ApproveCaseFilingInput, SUPERVISORS,
                 "立案审批: approve (the case gets its number) or refuse with a reason."),
    StepMutation("addCaseEvidence", StepKind.ADD_EVIDENCE, AddCaseEvidenceInput, CASE_STAFF,
                 "Attach evidence by reference; each item is checked and kept with its hash."),
    StepMutation("extendCaseDeadline", StepKind.EXTEND_DEADLINE, ExtendCaseDeadlineInput, SUPERVISORS,
                 "Extend the decision deadline once (EXTENSION_USED after that)."),
]
