"""Thin GraphQL types for positive-list membership; each maps a domain record with ``from_domain``."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from api.graphql.relay import PageInfo
from core.positive_list import models


@strawberry.enum
class MembershipAction(Enum):
    ADMITTED = "admitted"
    REMOVED = "removed"


@strawberry.enum
class MembershipCause(Enum):
    DECISION = "decision"
    AUTOMATIC = "automatic"


@strawberry.type(description="An admission batch as the bureau publishes it.")
class PositiveListBatch:
    name: str
    number: str


@strawberry.type(description="One change of an enterprise's positive-list membership (append-only).")
class PositiveListChange:
    change_id: str
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    action: MembershipAction
    cause: MembershipCause
    batch: PositiveListBatch | None
    valid_from: date | None
    valid_to: date | None
    effective_on: date
    reason: str
    basis: str
    actor: str
    at: datetime

    @classmethod
    def from_domain(cls, c: models.MembershipChange) -> PositiveListChange:
        return cls(change_id=c.id, credit_code=c.credit_code, enterprise_name=c.enterprise_name,
                   jurisdiction=c.jurisdiction, action=MembershipAction(c.action.value),
                   cause=MembershipCause(c.cause.value),
                   batch=PositiveListBatch(name=c.batch.name, number=c.batch.number) if c.batch else None,
                   valid_from=c.valid_from, valid_to=c.valid_to, effective_on=c.effective_on, reason=c.reason,
                   basis=c.basis, actor=c.actor, at=c.at)


@strawberry.type(description="A current member: its entry and the admission that gave it (none if imported).")
class PositiveListMember:
    credit_code: str
    enterprise_name: str
    jurisdiction: str
    valid_from: date
    valid_to: date
    admission: PositiveListChange | None

    @classmethod
    def from_domain(cls, m: models.Member) -> PositiveListMember:
        return cls(credit_code=m.credit_code, enterprise_name=m.enterprise_name, jurisdiction=m.jurisdiction,
                   valid_from=m.valid_from, valid_to=m.valid_to,
                   admission=PositiveListChange.from_domain(m.admission) if m.admission else None)


@strawberry.type
class PositiveListMemberEdge:
    cursor: str
    node: PositiveListMember


@strawberry.type
class PositiveListMemberConnection:
    edges: list[PositiveListMemberEdge]
    page_info: PageInfo
