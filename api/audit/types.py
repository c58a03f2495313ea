"""GraphQL types of the audit log: entries as a Relay connection, and its filter."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from api.graphql.relay import PageInfo
from core.audit import models


@strawberry.type(description="One name and value of an entry's detail (a CLI command's arguments, a login's "
                             "address, a job's counts).")
class AuditDetail:
    name: str
    value: str


@strawberry.type(description="One recorded action: who, when, what, on which ids, with which outcome, and its "
                             "link in the day's hash chain.")
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    roles: list[str]
    jurisdictions: list[str]
    operation: str = strawberry.field(description="Mutation.<field>, Query.<field>, graphql:<operation>, login, "
                                                  "cli:<command>, job:<name>, or a service's own action name.")
    targets: list[str] = strawberry.field(description="The target ids (arguments named id, …Id, creditCode).")
    outcome: str = strawberry.field(description="ok, refused:<CODE> or failed:<CODE>.")
    code: str | None
    request_id: str
    address: str | None
    source: str = strawberry.field(description="graphql, http, cli, job, or service (written in the "
                                               "transaction of the change it records).")
    detail: list[AuditDetail]
    day: str
    n: int = strawberry.field(description="Position in the day's chain, from 1.")
    prev: str
    hash: str

    @classmethod
    def from_domain(cls, e: models.AuditEntry) -> AuditEntry:
        return cls(seq=e.seq or 0, at=e.at, actor=e.actor, roles=e.roles, jurisdictions=e.jurisdictions,
                   operation=e.operation, targets=e.targets, outcome=e.outcome, code=e.code,
                   request_id=e.request_id, address=e.address, source=e.source,
                   detail=[AuditDetail(name=k, value=str(v)) for k, v in sorted(e.detail.items())],
                   day=e.day or "", n=e.n or 0, prev=e.prev or "", hash=e.hash or "")


@strawberry.type
class AuditEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditConnection:
    edges: list[AuditEdge]
    page_info: PageInfo


@strawberry.input(description="Each given field narrows the log.")
class AuditLogFilter:
    actor: str | None = None
    operation: str | None = None
    target: str | None = strawberry.field(default=None, description="Any one target id.")
    outcome: str | None = strawberry.field(default=None, description="Exact (refused:FORBIDDEN) or a kind "
                                                                     "(ok, refused, failed).")
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_domain(self) -> models.AuditFilter:
        return models.AuditFilter(actor=self.actor, operation=self.operation, target=self.target,
                                  outcome=self.outcome, at_from=_utc(self.from_), at_to=_utc(self.to))


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
