"""Audit records as read back, the filters of the audit log, who may read it, and verification reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.audit.chain import Problem


class AuditEntry(BaseModel):
    """One recorded action. ``source`` tells who wrote it: ``graphql``, ``http`` (logins), ``cli``, ``job``,
    or ``service`` (a service's own record, written in the transaction of the change it records)."""

    model_config = ConfigDict(frozen=True)

    id: str
    at: datetime
    actor: str
    roles: list[str] = []
    jurisdictions: list[str] = []
    operation: str
    target: str = ""
    targets: list[str] = []
    outcome: str
    code: str | None = None
    request_id: str = ""
    address: str | None = None
    source: str = "service"
    detail: dict[str, Any] = {}
    seq: int | None = None
    day: str | None = None
    n: int | None = None
    prev: str | None = None
    hash: str | None = None


class AuditFilter(BaseModel):
    """Each given field narrows the log. ``outcome`` is exact (``refused:FORBIDDEN``) or a kind (``refused``);
    ``target`` matches any recorded target id; ``at_from`` is inclusive, ``at_to`` exclusive."""

    model_config = ConfigDict(frozen=True)

    actor: str | None = None
    operation: str | None = None
    target: str | None = None
    outcome: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


@dataclass(frozen=True)
class AuditScope:
    """What a reader may see: everything (administrators), or the entries whose actor's jurisdictions all lie
    within one of ``jurisdictions`` (supervisors)."""

    everything: bool
    jurisdictions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayReport:
    day: str
    count: int
    head_hash: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
