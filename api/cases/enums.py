"""GraphQL enums of cases, mirroring core.cases.models, and money in yuan."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from core.cases import law, models


# Strawberry enums mirror the domain enums (same names and values); the type checker sees the domain enum.
def _mirror(domain: type[Enum], name: str, description: str) -> Any:
    mirrored: Any = Enum(name, {m.name: m.value for m in domain})  # type: ignore[misc]
    return strawberry.enum(mirrored, description=description)


if TYPE_CHECKING:
    CaseStatus = models.CaseStatus
    StepKind = models.StepKind
    SourceKind = models.SourceKind
    EvidenceKind = models.EvidenceKind
    PartyKind = models.PartyKind
    CaseOutcome = models.Outcome
    NoPenaltyReason = models.NoPenaltyReason
    Measure = models.Measure
    DecisionKind = models.DecisionKind
    ServiceMethod = models.ServiceMethod
    ReinspectionFinding = models.ReinspectionFinding
    PaymentPlanKind = models.PlanKind
    TransferKind = models.TransferKind
    TransferOutcome = models.TransferOutcome
else:
    CaseStatus = _mirror(models.CaseStatus, "CaseStatus", "Where a case stands (立案 … 结案).")
    StepKind = _mirror(models.StepKind, "StepKind", "A recorded step of a case.")
    SourceKind = _mirror(models.SourceKind, "SourceKind", "Where the case came from.")
    EvidenceKind = _mirror(models.EvidenceKind, "EvidenceKind", "What kind of evidence a case refers to.")
    PartyKind = _mirror(models.PartyKind, "PartyKind", "An organisation or an individual.")
    CaseOutcome = _mirror(models.Outcome, "CaseOutcome", "Penalty, or 不予处罚.")
    NoPenaltyReason = _mirror(models.NoPenaltyReason, "NoPenaltyReason", "Why no penalty (行政处罚法 art. 33).")
    Measure = _mirror(models.Measure, "Measure", "A measure besides the fine.")
    DecisionKind = _mirror(models.DecisionKind, "DecisionKind", "The kind of decision document.")
    ServiceMethod = _mirror(models.ServiceMethod, "ServiceMethod", "How a document was served (送达方式).")
    ReinspectionFinding = _mirror(models.ReinspectionFinding, "ReinspectionFinding", "What a re-inspection found.")
    PaymentPlanKind = _mirror(models.PlanKind, "PaymentPlanKind", "Deferral (延期) or instalments (分期).")
    TransferKind = _mirror(models.TransferKind, "TransferKind", "Why a case goes to public security.")
    TransferOutcome = _mirror(models.TransferOutcome, "TransferOutcome", "What public security answered.")


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / law.FEN_PER_YUAN).quantize(Decimal("0.01"))
