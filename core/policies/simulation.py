"""What a candidate version would change over the current registry, and why a decision was made."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.db import Database
from core.policies.engine import CompiledRules
from core.policies.facts import facts_batches
from core.policies.models import AppliedRule, Explanation, PolicyVersion
from core.policies.repository import enterprises_with_codes, enterprises_within

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


async def compare(database: Database, result: Simulation, *, jurisdiction: str, candidate: CompiledRules,
                  baseline: CompiledRules | None, day: date, assume: dict[str, Any]) -> Simulation:
    """Evaluate both versions for every enterprise of ``jurisdiction`` on ``day``; ``assume`` fixes facts."""
    async for part in facts_batches(database, enterprises_within(jurisdiction), day, extra=assume):
        for doc, facts in part:
            _compare(result, doc, candidate.evaluate(facts).outputs,
                     baseline.evaluate(facts).outputs if baseline else {})
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


async def facts_of(database: Database, credit_code: str, day: date) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(registry document, facts on ``day``) of one enterprise, or None if there is no such enterprise."""
    found = [pair async for part in facts_batches(database, enterprises_with_codes([credit_code]), day)
             for pair in part]
    return found[0] if found else None


def explanation(version: PolicyVersion, rules: CompiledRules, facts: dict[str, Any], *,
                jurisdiction: str) -> Explanation:
    """The decision under ``version`` (of ``jurisdiction``'s policy) for ``facts``, with the rules that held and
    the ones applied."""
    decision = rules.evaluate(facts)
    return Explanation(
        version=version.id, policy_id=version.policy_id, jurisdiction=jurisdiction, outputs=decision.outputs,
        facts={name: facts[name] for name in rules.facts},
        applied=[AppliedRule(id=r, rationale=rules.rule(r).rationale, legal_reference=rules.rule(r).legal_reference)
                 for r in decision.applied],
        fired=list(decision.fired), hit_policy=rules.hit_policy)
