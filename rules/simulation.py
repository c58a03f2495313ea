"""What a candidate version would change over the current registry, and why a decision was made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from core.db import Database
from core.errors import NotFound
from core.policies.models import PolicyVersion
from rules.facts import enterprise_facts
from rules.lifecycle import PolicyService, compiled
from rules.model import PolicyContent

MAX_LISTED = 200
FIELDS = {"credit_code": 1, "name": 1, "jurisdiction": 1, "industry_code": 1, "credit": 1, "key_discharger": 1,
          "emergency_risk": 1, "online_monitoring": 1, "permit": 1, "performance": 1, "guarantee": 1,
          "positive_list": 1}


@dataclass
class Simulation:
    candidate: str
    baseline: str | None
    evaluated: int = 0
    changed: int = 0
    transitions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    listed: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        if not self.changed:
            return f"no change for the {self.evaluated} enterprises evaluated"
        parts = [f"{n} enterprises change {name} from {old} to {new}"
                 for (name, old, new), n in self.transitions.most_common()]
        return f"{self.changed} of {self.evaluated} enterprises change: " + "; ".join(parts)


def _show(value: Any) -> str:
    return "no decision" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


async def simulate(database: Database, service: PolicyService, version_id: str, *,
                   day: date | None = None) -> Simulation:
    candidate = await service.version(version_id)
    policy = await service.policy(candidate.policy_id)
    baseline = await service.version(policy.active_version) if policy.active_version else None
    when = day or datetime.now(UTC).date()
    new, old = compiled(candidate), compiled(baseline) if baseline else None
    result = Simulation(candidate=candidate.id, baseline=baseline.id if baseline else None)
    async for doc in database["enterprises"].find({"jurisdiction_path": policy.jurisdiction}, FIELDS):
        facts = enterprise_facts(doc, day=when)
        after = new.evaluate(facts).outputs
        before = old.evaluate(facts).outputs if old else {}
        result.evaluated += 1
        if after == before:
            continue
        result.changed += 1
        for name in sorted(set(after) | set(before)):
            if after.get(name) != before.get(name):
                result.transitions[(name, _show(before.get(name)), _show(after.get(name)))] += 1
        if len(result.listed) < MAX_LISTED:
            result.listed.append({"credit_code": doc["credit_code"], "name": doc["name"], "before": before,
                                  "after": after})
    return result


async def explain(database: Database, service: PolicyService, *, credit_code: str, policy_id: str,
                  at: date) -> dict[str, Any]:
    """The decision for one enterprise under the version in force on ``at``, with the rules behind it."""
    version: PolicyVersion | None = await service.in_force(policy_id, at)
    if version is None:
        raise NotFound(f"no version of {policy_id} was in force on {at.isoformat()}", field="at")
    doc = await database["enterprises"].find_one({"credit_code": credit_code}, FIELDS)
    if doc is None:
        raise NotFound(f"enterprise {credit_code} not found", field="creditCode")
    facts = enterprise_facts(doc, day=at)
    decision = compiled(version).evaluate(facts)
    content = PolicyContent.model_validate(version.content)
    rules = {rule.id: rule for rule in content.rules}
    used = {name: facts[name] for name in content.facts_used()}
    return {"version": version.id, "outputs": decision.outputs, "facts": used,
            "applied": [{"id": r, "rationale": rules[r].rationale, "legal_reference": rules[r].legal_reference}
                        for r in decision.applied],
            "fired": list(decision.fired), "hit_policy": content.hit_policy.value}
