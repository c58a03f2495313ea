"""What a candidate version would change over the current registry, and why a decision was made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from core.db import Database
from core.errors import Conflict, FieldError, NotFound, ValidationFailed
from core.policies.models import PolicyVersion
from rules.facts import facts_batches
from rules.lifecycle import PolicyService, compiled
from rules.model import PolicyContent
from rules.vocabulary import FACTS

MAX_LISTED = 200


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


CASE_KINDS = {"penalty_discretion"}  # decided on violations, not on the registry


def _assumptions(assume: dict[str, Any]) -> dict[str, Any]:
    errors = [FieldError(f"assume.{name}", f"unknown fact {name}", "UNKNOWN_FACT") for name in assume
              if name not in FACTS]
    errors += [FieldError(f"assume.{name}", f"{name} cannot be {value!r}", "TYPE_MISMATCH")
               for name, value in assume.items() if name in FACTS and not FACTS[name].accepts(value)]
    if errors:
        raise ValidationFailed(errors)
    return assume


async def simulate(database: Database, service: PolicyService, version_id: str, *,
                   day: date | None = None, assume: dict[str, Any] | None = None) -> Simulation:
    """Candidate against the active version over the registry; ``assume`` fixes facts for everyone."""
    candidate = await service.version(version_id)
    policy = await service.policy(candidate.policy_id)
    if policy.kind in CASE_KINDS:
        raise Conflict(f"{policy.kind} decides on violations, not on the registry: test it with golden cases",
                       code="NOT_SIMULATABLE", field="versionId")
    extra = _assumptions(assume or {})
    baseline = await service.version(policy.active_version) if policy.active_version else None
    when = day or datetime.now(UTC).date()
    new, old = compiled(candidate), compiled(baseline) if baseline else None
    result = Simulation(candidate=candidate.id, baseline=baseline.id if baseline else None)
    async for part in facts_batches(database, {"jurisdiction_path": policy.jurisdiction}, when, extra=extra):
        for doc, facts in part:
            _compare(result, doc, new.evaluate(facts).outputs, old.evaluate(facts).outputs if old else {})
    return result


def _compare(result: Simulation, doc: dict[str, Any], after: dict[str, Any], before: dict[str, Any]) -> None:
    result.evaluated += 1
    if after == before:
        return
    result.changed += 1
    for name in sorted(set(after) | set(before)):
        if after.get(name) != before.get(name):
            result.transitions[(name, _show(before.get(name)), _show(after.get(name)))] += 1
    if len(result.listed) < MAX_LISTED:
        result.listed.append({"credit_code": doc["credit_code"], "name": doc["name"], "before": before,
                              "after": after})


async def explain(database: Database, service: PolicyService, *, credit_code: str, policy_id: str,
                  at: date) -> dict[str, Any]:
    """The decision for one enterprise under the version in force on ``at``, with the rules behind it."""
    version: PolicyVersion | None = await service.in_force(policy_id, at)
    if version is None:
        raise NotFound(f"no version of {policy_id} was in force on {at.isoformat()}", field="at")
    found = [pair async for part in facts_batches(database, {"credit_code": credit_code}, at) for pair in part]
    if not found:
        raise NotFound(f"enterprise {credit_code} not found", field="creditCode")
    _doc, facts = found[0]
    decision = compiled(version).evaluate(facts)
    content = PolicyContent.model_validate(version.content)
    rules = {rule.id: rule for rule in content.rules}
    used = {name: facts[name] for name in content.facts_used()}
    return {"version": version.id, "outputs": decision.outputs, "facts": used,
            "applied": [{"id": r, "rationale": rules[r].rationale, "legal_reference": rules[r].legal_reference}
                        for r in decision.applied],
            "fired": list(decision.fired), "hit_policy": content.hit_policy.value}
