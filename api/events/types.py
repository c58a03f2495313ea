"""Thin GraphQL types for enterprise events and penalty recommendations."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry

from api.graphql.relay import Node, to_global_id
from core.events import models
from rules import penalties

# Both enums are built at import time from the domain's members, which mypy cannot follow: to it, EventKind is the
# domain enum it mirrors (same names and values) and ViolationType a plain Enum.
if TYPE_CHECKING:
    EventKind = models.EventKind
    ViolationType = Enum
else:
    EventKind = strawberry.enum(Enum("EventKind", {k.name: k.value for k in models.EventKind}),
                                description="What happened: penalty, case, emergency, verified complaint, …")
    ViolationType = strawberry.enum(Enum("ViolationType", {v.upper(): v for v in penalties.VIOLATION_TYPES}))


@strawberry.type(description="Something that happened to an enterprise and counts in its policy facts.")
class EnterpriseEvent(Node):
    event_id: str
    credit_code: str
    kind: EventKind
    occurred_on: date
    ends_on: date | None
    reference: str
    description: str
    source: str
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def from_domain(cls, e: models.EnterpriseEvent) -> EnterpriseEvent:
        return cls(id=to_global_id("EnterpriseEvent", e.id),
                   event_id=e.id, credit_code=e.credit_code, kind=EventKind(e.kind.value), occurred_on=e.occurred_on,
                   ends_on=e.ends_on, reference=e.reference, description=e.description, source=e.source,
                   recorded_by=e.recorded_by, recorded_at=e.recorded_at)


@strawberry.input
class RecommendPenaltyInput:
    violation_type: ViolationType
    harm: int = strawberry.field(description="1 (lightest) to 5")
    fault: int
    means: int
    object: int
    correction: int = strawberry.field(description="attitude to correction and its effect, 1 (best) to 5")
    repeat_offence: bool = False
    corrected: bool = False
    caused_harm: bool = True

    def to_facts(self) -> dict[str, Any]:
        return {"violation_type": self.violation_type.value, "harm": self.harm, "fault": self.fault,
                "means": self.means, "object": self.object, "correction": self.correction,
                "repeat_offence": self.repeat_offence, "corrected": self.corrected, "caused_harm": self.caused_harm}


@strawberry.type(description="A recommended fine inside the statutory range; a person must confirm it.")
class PenaltyRecommendation:
    amount_yuan: int
    minimum_yuan: int
    maximum_yuan: int
    legal_basis: str
    level: int
    not_penalised: bool
    reason_code: str
    score: int
    policy_version: str
    rules: list[str]
    rationale: list[str]
    requires_confirmation: bool

    @classmethod
    def from_domain(cls, found: penalties.Recommendation) -> PenaltyRecommendation:
        return cls(amount_yuan=found.amount_yuan, minimum_yuan=found.minimum_yuan, maximum_yuan=found.maximum_yuan,
                   legal_basis=found.legal_basis, level=found.level, not_penalised=found.not_penalised,
                   reason_code=found.reason_code, score=found.score, policy_version=found.version,
                   rules=[r["id"] for r in found.rules], rationale=[r["rationale"] for r in found.rules],
                   requires_confirmation=found.requires_confirmation)
