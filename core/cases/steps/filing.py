"""立案: opening a case from a finding, the filing approval, evidence, and the one deadline extension."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field

from core.accounts.roles import CASE_STAFF, SUPERVISORS
from core.cases.models import (
    Case,
    CaseStatus,
    EvidenceRef,
    PartyKind,
    SourceKind,
    Violation,
)
from core.cases.settings import CaseRules
from core.cases.steps.common import Actor, StepInput, Text, check_date, require_handler, require_role, require_status
from core.device import UUID_PATTERN
from core.error_codes import ErrorCode
from core.errors import Conflict, FieldError, ValidationFailed

OPEN_STATUSES = {CaseStatus.FILING, CaseStatus.INVESTIGATING, CaseStatus.REVIEWED, CaseStatus.NOTIFIED,
                 CaseStatus.DECIDED}


class OpenInput(StepInput):
    """What the service has resolved for a new case: the party from the registry, the evidence with its hashes."""

    id: str = Field(pattern=UUID_PATTERN)
    credit_code: str = Field(min_length=18, max_length=18)
    party_name: str = Field(min_length=1, max_length=200)
    jurisdiction: str
    party_kind: PartyKind = PartyKind.ORGANISATION
    representative: str = Field(default="", max_length=100)
    source: SourceKind
    source_id: str | None = Field(default=None, max_length=100)
    violations: list[Violation] = Field(min_length=1, max_length=20)
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=500)
    officers: list[str] = Field(min_length=2, max_length=10)
    discovered_on: date


def open_case(data: OpenInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, CASE_STAFF, "open a case")
    check_date(actor, data.discovered_on, "discoveredOn")
    if len(set(data.officers)) != len(data.officers):
        raise ValidationFailed([FieldError("officers", "an officer is named twice", ErrorCode.OFFICERS_REQUIRED)])
    unknown = [v.violation_type for v in data.violations if v.violation_type not in rules.fines]
    if unknown:
        raise ValidationFailed([FieldError("violations", f"unknown violation type {unknown[0]}",
                                           ErrorCode.INVALID_VALUE)])
    return Case(id=data.id, jurisdiction=data.jurisdiction, credit_code=data.credit_code, party_name=data.party_name,
                party_kind=data.party_kind, representative=data.representative, source=data.source,
                source_id=data.source_id, violations=data.violations, evidence=data.evidence,
                officers=data.officers, opened_by=actor.username, discovered_on=data.discovered_on,
                opened_on=actor.today)


class ApproveFilingInput(StepInput):
    approved: bool
    filed_on: date
    reason: str = Field(default="", max_length=4000)
    number: str | None = None  # given by the service from the authority's yearly counter when approved


def approve_filing(case: Case, data: ApproveFilingInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "approve a filing")
    require_status(case, {CaseStatus.FILING}, "approve the filing")
    if actor.inspector_id is not None and actor.inspector_id in case.officers:
        raise Conflict(f"{actor.username} handles case {case.id} and may not approve its filing",
                       code=ErrorCode.SELF_APPROVAL)
    check_date(actor, data.filed_on, "filedOn", not_before=case.discovered_on, before_what="the discovery")
    if not data.approved:
        if not data.reason.strip():
            raise ValidationFailed([FieldError("reason", "a refused filing needs a reason", ErrorCode.REASON_REQUIRED)])
        return case.model_copy(update={"status": CaseStatus.NOT_FILED, "closed_on": data.filed_on,
                                       "closed_by": actor.username})
    return case.model_copy(update={
        "status": CaseStatus.INVESTIGATING, "number": data.number, "filed_on": data.filed_on,
        "filed_by": actor.username, "decision_due": data.filed_on + timedelta(days=rules.decision_days)})


class AddEvidenceInput(StepInput):
    evidence: list[EvidenceRef] = Field(min_length=1, max_length=500)


def add_evidence(case: Case, data: AddEvidenceInput, actor: Actor, rules: CaseRules) -> Case:
    require_handler(case, actor, "add evidence")
    require_status(case, OPEN_STATUSES, "add evidence")
    known = {(e.kind, e.id) for e in case.evidence}
    added = [e for e in data.evidence if (e.kind, e.id) not in known]
    return case.model_copy(update={"evidence": [*case.evidence, *added]})


class ExtendDeadlineInput(StepInput):
    days: int = Field(ge=1, le=3650)
    reason: str = Text


def extend_deadline(case: Case, data: ExtendDeadlineInput, actor: Actor, rules: CaseRules) -> Case:
    require_role(actor, SUPERVISORS, "extend the decision deadline")
    require_status(case, {CaseStatus.INVESTIGATING, CaseStatus.REVIEWED, CaseStatus.NOTIFIED}, "extend the deadline")
    if actor.inspector_id is not None and actor.inspector_id in case.officers:
        raise Conflict(f"{actor.username} handles case {case.id} and may not approve its extension",
                       code=ErrorCode.SELF_APPROVAL)
    if case.extension_days:
        raise Conflict(f"case {case.id}'s decision deadline was already extended", code=ErrorCode.EXTENSION_USED)
    if data.days > rules.extension_max_days:
        raise ValidationFailed([FieldError("days", f"at most {rules.extension_max_days} days", ErrorCode.OUT_OF_RANGE)])
    assert case.decision_due is not None  # set at filing, before these statuses
    return case.model_copy(update={"extension_days": data.days,
                                   "decision_due": case.decision_due + timedelta(days=data.days)})
