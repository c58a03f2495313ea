"""Penalty discretion (DOMAIN rule 25): a recommended fine from the policy, clamped to the statutory range.

The policy decides a level and a position inside the statutory range, never an amount, so a
recommendation cannot leave the range; a person must confirm it before it becomes a decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.cases.law import FEN_PER_YUAN, level_band
from core.cases.models import Discretion
from core.error_codes import ErrorCode
from core.errors import Conflict, ValidationFailed
from core.policies.kinds import PolicyKind
from core.policies.service import PolicyService
from core.reference import tables
from core.registry.rows import field_errors
from rules.model import PolicyContent
from rules.policy_engine import compiled
from rules.vocabulary import VIOLATION_TYPES

FACTORS = ("harm", "fault", "means", "object", "correction")
ROUND_TO = 100  # yuan


class ViolationCase(BaseModel):
    """The facts of one violation; each discretion factor has five levels, 1 the lightest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    violation_type: str = Field(pattern="^(" + "|".join(VIOLATION_TYPES) + ")$")
    harm: int = Field(ge=1, le=5)
    fault: int = Field(ge=1, le=5)
    means: int = Field(ge=1, le=5)
    object: int = Field(ge=1, le=5)
    correction: int = Field(ge=1, le=5)
    repeat_offence: bool = False
    corrected: bool = False
    caused_harm: bool = True

    def facts(self) -> dict[str, Any]:
        return {"violation_type": self.violation_type, "discretion_score": sum(getattr(self, f) for f in FACTORS),
                "repeat_offence": self.repeat_offence, "corrected": self.corrected,
                "caused_harm": self.caused_harm}


@dataclass(frozen=True)
class Recommendation:
    amount_yuan: int
    minimum_yuan: int
    maximum_yuan: int
    legal_basis: str
    level: int
    not_penalised: bool
    reason_code: str
    score: int
    version: str
    rules: list[dict[str, str]]
    requires_confirmation: bool = True


def amount(minimum: int, maximum: int, fraction: float) -> int:
    """A position in [minimum, maximum] rounded to 100 yuan, and never outside the range."""
    raw = minimum + fraction * (maximum - minimum)
    rounded = int(round(raw / ROUND_TO) * ROUND_TO)
    return max(minimum, min(maximum, rounded))


async def recommend(service: PolicyService, data: dict[str, Any], *, day: date) -> Recommendation:
    try:
        case = ViolationCase.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc, {})) from None
    version = await service.in_force(f"{PolicyKind.PENALTY_DISCRETION}:{tables.root_code()}", day)
    if version is None:
        raise Conflict("no penalty-discretion policy is in force", code=ErrorCode.NO_POLICY)
    facts = case.facts()
    decision = compiled(version).evaluate(facts)
    rules = {r.id: r for r in PolicyContent.model_validate(version.content).rules}
    fines = tables.statutory_fines()[case.violation_type]
    outputs = decision.outputs
    not_penalised = bool(outputs["not_penalised"])
    return Recommendation(
        amount_yuan=0 if not_penalised else amount(fines.minimum, fines.maximum, float(outputs["range_fraction"])),
        minimum_yuan=fines.minimum, maximum_yuan=fines.maximum, legal_basis=fines.legal_basis,
        level=int(outputs["level"]), not_penalised=not_penalised,
        reason_code="minor_corrected_harmless" if not_penalised else "discretion_level",
        score=facts["discretion_score"], version=version.id,
        rules=[{"id": r, "rationale": rules[r].rationale, "legal_reference": rules[r].legal_reference}
               for r in decision.applied])


def case_discretion(service: PolicyService) -> Callable[[str, dict[str, Any], date], Awaitable[Discretion]]:
    """The recommendation a case keeps with its proposed fine (``CaseService(recommend=...)``): the level, the
    recommended amount, the level's band of the statutory range and the policy version, in fen."""
    async def recommend_for(violation_type: str, factors: dict[str, Any], day: date) -> Discretion:
        found = await recommend(service, {**factors, "violation_type": violation_type}, day=day)
        low, high = found.minimum_yuan * FEN_PER_YUAN, found.maximum_yuan * FEN_PER_YUAN
        band = level_band(low, high, found.level)
        return Discretion(factors={f: int(factors[f]) for f in FACTORS},
                          repeat_offence=bool(factors.get("repeat_offence", False)), level=found.level,
                          recommended_fen=found.amount_yuan * FEN_PER_YUAN, band_min_fen=band[0],
                          band_max_fen=band[1], policy_version=found.version, rules=[r["id"] for r in found.rules])

    return recommend_for
