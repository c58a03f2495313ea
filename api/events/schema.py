"""recordEnterpriseEvent (which re-decides the enterprise's policies) and recommendPenalty."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from api.context import Context
from api.events.types import EnterpriseEvent, EventKind
from api.graphql.relay import UserError
from core.errors import DomainError
from rules import penalties

ViolationType = strawberry.enum(Enum("ViolationType", {v.upper(): v for v in penalties.VIOLATION_TYPES}))  # type: ignore[misc]


@strawberry.input
class RecordEnterpriseEventInput:
    event_id: str = strawberry.field(description="A UUID you generate: the id and the idempotency key")
    credit_code: str
    kind: EventKind
    occurred_on: date
    ends_on: date | None = None
    reference: str = ""
    description: str = ""


@strawberry.type
class RecordEnterpriseEventPayload:
    event: EnterpriseEvent | None
    replayed: bool
    decisions_changed: int
    user_errors: list[UserError]


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


@strawberry.type
class EventMutation:
    @strawberry.mutation(description="Record a penalty, case, emergency, verified complaint, … on an enterprise; "
                                     "its supervision class and positive-list status are decided again.")
    async def record_enterprise_event(self, info: Info[Context, None],
                                      input: RecordEnterpriseEventInput  # noqa: A002
                                      ) -> RecordEnterpriseEventPayload:
        context = info.context
        data = {"id": input.event_id, "credit_code": input.credit_code.strip().upper(), "kind": input.kind.value,
                "occurred_on": input.occurred_on, "ends_on": input.ends_on, "reference": input.reference,
                "description": input.description}
        try:
            event, created, changed = await context.services.events.record_and_redecide(
                context.viewer, data, request_id=context.request_id)
        except DomainError as exc:
            return RecordEnterpriseEventPayload(event=None, replayed=False, decisions_changed=0,
                                                user_errors=[UserError.from_domain(e) for e in exc.as_field_errors()])
        return RecordEnterpriseEventPayload(event=EnterpriseEvent.from_domain(event), replayed=not created,
                                            decisions_changed=changed, user_errors=[])


@strawberry.type
class EventQuery:
    @strawberry.field(description="Penalty discretion (DOMAIN rule 25): the recommended fine for one violation "
                                  "under the penalty_discretion policy in force, clamped to the statutory range.")
    async def recommend_penalty(self, info: Info[Context, None], input: RecommendPenaltyInput,  # noqa: A002
                                on: date | None = None) -> PenaltyRecommendation:
        data = {"violation_type": input.violation_type.value, "harm": input.harm, "fault": input.fault,
                "means": input.means, "object": input.object, "correction": input.correction,
                "repeat_offence": input.repeat_offence, "corrected": input.corrected,
                "caused_harm": input.caused_harm}
        found = await penalties.recommend(info.context.services.policies, data,
                                          day=on or datetime.now(UTC).date())
        return PenaltyRecommendation(
            amount_yuan=found.amount_yuan, minimum_yuan=found.minimum_yuan, maximum_yuan=found.maximum_yuan,
            legal_basis=found.legal_basis, level=found.level, not_penalised=found.not_penalised,
            reason_code=found.reason_code, score=found.score, policy_version=found.version,
            rules=[r["id"] for r in found.rules], rationale=[r["rationale"] for r in found.rules],
            requires_confirmation=found.requires_confirmation)
