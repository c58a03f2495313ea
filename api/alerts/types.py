"""GraphQL types of heavy-pollution alerts: the alert, an enterprise's measure, the mutations' payload."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import strawberry

from api.graphql.payloads import payload
from api.graphql.relay import Node, UserError, to_global_id
from core.alerts import models


@strawberry.type(description="One change of a field: its value before and after, as text (ISO 8601 for times).")
class AlertChange:
    field: str
    before: str
    after: str


@strawberry.type(description="What happened to an alert: issued, updated (with each changed field) or lifted.")
class AlertHistoryEntry:
    at: datetime
    actor: str
    action: str = strawberry.field(description="issue, update or lift")
    level: str | None = strawberry.field(description="The level it was issued at (issue)")
    reason: str | None = strawberry.field(description="Why it was lifted (lift)")
    changes: list[AlertChange]

    @classmethod
    def from_stored(cls, entry: dict[str, Any]) -> AlertHistoryEntry:
        raw = entry.get("changes") or []
        if isinstance(raw, dict):  # entries stored before changes were recorded field by field
            raw = [{"field": k, "from": "", "to": str(v)} for k, v in raw.items()]
        return cls(at=entry["at"], actor=str(entry.get("actor") or ""), action=str(entry.get("action") or ""),
                   level=entry.get("level"), reason=entry.get("reason"),
                   changes=[AlertChange(field=c["field"], before=c["from"], after=c["to"]) for c in raw])


@strawberry.type(description="How an alert's checkable measures in one jurisdiction are verified (counts of "
                             "enterprises by route, and the size of the on-site sample).")
class VerificationRoutes:
    jurisdiction: str
    quota: int = strawberry.field(description="Size of the on-site sample drawn from the pool (the pool's "
                                              "verification ratios summed and rounded up)")
    not_checked: int = strawberry.field(description="Measures that need no verification (none, self-determined)")
    flagged: int = strawberry.field(description="Checked on site because their own non-site check raised an alert")
    exempt: int = strawberry.field(description="Positive-list members without an alert of their own")
    nonsite: int = strawberry.field(description="Verified from their electricity or automatic-monitoring data")
    sampled: int = strawberry.field(description="Drawn into the on-site sample")
    not_sampled: int = strawberry.field(description="In the pool, not drawn")
    on_site: int = strawberry.field(description="On-site tasks: flagged plus sampled")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VerificationRoutes:
        return cls(**{name: row.get(name, 0) for name in (
            "jurisdiction", "quota", "not_checked", "flagged", "exempt", "nonsite", "sampled", "not_sampled",
            "on_site")})


@strawberry.type
class Alert(Node):
    alert_id: str
    level: str
    jurisdictions: list[str]
    starts_at: datetime
    ends_at: datetime
    source: str
    status: str
    version: int
    issued_by: str
    issued_at: datetime
    policy_version: str
    affected: int
    history: list[AlertHistoryEntry]
    verification: list[VerificationRoutes] = strawberry.field(
        description="Per jurisdiction, how the measures are verified: non-site first, a πps sample on site")
    verification_seed: str | None = strawberry.field(
        description="Hex SHA-256 seed of the on-site sample (docs/nonsite.md says how to recompute it)")

    @classmethod
    def from_domain(cls, a: models.Alert) -> Alert:
        return cls(id=to_global_id("Alert", a.id),
                   alert_id=a.id, level=a.level, jurisdictions=a.jurisdictions, starts_at=a.starts_at,
                   ends_at=a.ends_at, source=a.source, status=a.status, version=a.version, issued_by=a.issued_by,
                   issued_at=a.issued_at, policy_version=a.policy_version, affected=a.affected,
                   history=[AlertHistoryEntry.from_stored(entry) for entry in a.history],
                   verification=[VerificationRoutes.from_row(r) for r in a.verification],
                   verification_seed=a.verification_seed)


@strawberry.type(description="What one enterprise must do while an alert is in force, and the rules behind it.")
class AlertMeasure:
    credit_code: str
    name: str
    jurisdiction: str
    measure: str
    reduction_pct: float
    rules: list[str]
    policy_version: str
    verification_route: str | None = strawberry.field(
        default=None, description="flagged, exempt, nonsite, sampled or not_sampled; null when nothing is to verify")
    inclusion_probability: str | None = strawberry.field(
        default=None, description="The pool member's probability of being drawn on site, an exact fraction \"n/d\"")

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> AlertMeasure:
        checks = r.get("verification") or {}
        return cls(credit_code=r["credit_code"], name=r["name"], jurisdiction=r["jurisdiction"], measure=r["measure"],
                   reduction_pct=r["reduction_pct"], rules=r["rules"], policy_version=r["policy_version"],
                   verification_route=checks.get("route"), inclusion_probability=checks.get("pi"))


@strawberry.type
class AlertPayload:
    alert: Alert | None
    user_errors: list[UserError]


async def alert_payload(call: Awaitable[models.Alert]) -> AlertPayload:
    """The payload of an alert mutation: the alert, or the domain error as userErrors."""
    return await payload(call, ok=lambda alert: AlertPayload(alert=Alert.from_domain(alert), user_errors=[]),
                         refused=lambda errors: AlertPayload(alert=None, user_errors=errors))
