"""Thin GraphQL types for policies, versions, golden cases, simulations and explanations."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON

from api.graphql.relay import Node, to_global_id
from core.pagination import check_first
from core.policies import models
from core.policies import simulation as simulations


@strawberry.type
class GoldenCase:
    id: str
    facts: JSON
    expected: JSON
    note: str


@strawberry.type
class EffectivePeriod:
    start: date
    end: date | None


@strawberry.type(description="Re-deciding the stored decisions (dossiers) a version governs once it is in force.")
class DecisionRefresh:
    state: str = strawberry.field(description="scheduled (its date has not come), running, done or cancelled")
    effective_from: date
    evaluated: int = strawberry.field(description="Enterprises decided again so far")
    changed: int = strawberry.field(description="Of those, how many got another outcome")
    updated_at: datetime

    @classmethod
    def from_domain(cls, r: models.DecisionRefresh) -> DecisionRefresh:
        return cls(state=r.state.value, effective_from=r.effective_from, evaluated=r.evaluated, changed=r.changed,
                   updated_at=r.updated_at)


@strawberry.type
class PolicyVersion(Node):
    version_id: str
    policy_id: str
    number: int
    status: str
    content: JSON = strawberry.field(description="The rules as data: kind, hit_policy, rules[]")
    content_hash: str
    parent: str | None
    author: str
    approver: str | None
    golden_cases: list[GoldenCase]
    periods: list[EffectivePeriod]
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The latest refresh of the stored decisions this version governs (supervision "
                                  "class, positive list), once activated; null for other kinds and before activation.")
    async def decision_refresh(self, info: strawberry.Info) -> DecisionRefresh | None:
        found = await info.context.services.policies.refresh_of(self.version_id)
        return DecisionRefresh.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, v: models.PolicyVersion) -> PolicyVersion:
        return cls(id=to_global_id("PolicyVersion", v.id),
                   version_id=v.id, policy_id=v.policy_id, number=v.number, status=v.status.value,
                   content=JSON(v.content), content_hash=v.content_hash, parent=v.parent, author=v.author,
                   approver=v.approver,
                   golden_cases=[GoldenCase(id=c.id, facts=JSON(c.facts), expected=JSON(c.expected), note=c.note)
                                 for c in v.golden_cases],
                   periods=[EffectivePeriod(start=p.start, end=p.end) for p in v.periods],
                   created_at=v.created_at, updated_at=v.updated_at)


@strawberry.type
class ChangeEntry:
    version_id: str
    actor: str
    action: str
    reason: str
    at: datetime
    detail: JSON


@strawberry.type
class Policy(Node):
    policy_id: str
    kind: str
    jurisdiction: str
    active_version: str | None

    @strawberry.field(description="Every version, oldest first.")
    async def versions(self, info: strawberry.Info) -> list[PolicyVersion]:
        found = await info.context.services.policies.versions(self.policy_id)
        return [PolicyVersion.from_domain(v) for v in found]

    @strawberry.field(description="The append-only change log, newest first.")
    async def changes(self, info: strawberry.Info, first: int = 50) -> list[ChangeEntry]:
        check_first(first)
        rows = await info.context.services.policies.changes(self.policy_id, first)
        return [ChangeEntry(version_id=r["version_id"], actor=r["actor"], action=r["action"], reason=r["reason"],
                            at=r["at"], detail=r["detail"]) for r in rows]

    @classmethod
    def from_domain(cls, p: models.Policy) -> Policy:
        return cls(id=to_global_id("Policy", p.id),
                   policy_id=p.id, kind=p.kind, jurisdiction=p.jurisdiction, active_version=p.active_version)


@strawberry.type
class GoldenCaseResult:
    case_id: str = strawberry.field(description="The golden case's id (the same in every version that copied it)")
    passed: bool
    expected: JSON
    actual: JSON
    error: str | None

    @classmethod
    def from_domain(cls, r: models.GoldenCaseResult) -> GoldenCaseResult:
        return cls(case_id=r.id, passed=r.passed, expected=JSON(r.expected), actual=JSON(r.actual), error=r.error)


@strawberry.type
class Transition:
    output: str
    before: str
    after: str
    enterprises: int


@strawberry.type
class EnterpriseDecisionChange:
    credit_code: str
    name: str
    before: JSON
    after: JSON


@strawberry.type
class Simulation:
    candidate: str
    baseline: str | None
    evaluated: int
    changed: int
    summary: str
    transitions: list[Transition]
    enterprises: list[EnterpriseDecisionChange] = strawberry.field(description="The first 200 enterprises that change")

    @classmethod
    def from_domain(cls, s: simulations.Simulation) -> Simulation:
        return cls(candidate=s.candidate, baseline=s.baseline, evaluated=s.evaluated, changed=s.changed,
                   summary=s.summary(),
                   transitions=[Transition(output=k[0], before=k[1], after=k[2], enterprises=n)
                                for k, n in s.transitions.most_common()],
                   enterprises=[EnterpriseDecisionChange(**row) for row in s.listed])


@strawberry.type
class AppliedRule:
    rule_id: str = strawberry.field(description="The rule's id within its policy version (not unique across versions)")
    rationale: str
    legal_reference: str


@strawberry.type
class Explanation:
    version: str
    policy_id: str = strawberry.field(description="The policy that applied: the enterprise's city's own, or the "
                                                  "province's where the city has none in force")
    jurisdiction: str = strawberry.field(description="The jurisdiction of that policy")
    outputs: JSON
    facts: JSON
    applied: list[AppliedRule]
    fired: list[str]
    hit_policy: str

    @classmethod
    def from_domain(cls, e: models.Explanation) -> Explanation:
        return cls(version=e.version, policy_id=e.policy_id, jurisdiction=e.jurisdiction, outputs=JSON(e.outputs),
                   facts=JSON(e.facts), fired=e.fired,
                   hit_policy=e.hit_policy,
                   applied=[AppliedRule(rule_id=a.id, rationale=a.rationale, legal_reference=a.legal_reference)
                            for a in e.applied])
