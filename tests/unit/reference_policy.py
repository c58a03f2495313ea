"""A pure-Python evaluator of the policy model, used only to check the durable_rules engine."""

from __future__ import annotations

from typing import Any

from rules.model import Condition, HitPolicy, PolicyContent


def holds(condition: Condition, facts: dict[str, Any]) -> bool:
    value, target = facts[condition.fact], condition.value
    return {
        "eq": lambda: value == target, "ne": lambda: value != target, "in": lambda: value in target,
        "not_in": lambda: value not in target, "lt": lambda: value < target, "lte": lambda: value <= target,
        "gt": lambda: value > target, "gte": lambda: value >= target,
    }[condition.op]()


def evaluate(content: PolicyContent, facts: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    ranked = sorted(enumerate(content.rules), key=lambda pair: (pair[1].priority, pair[0]))
    fired = [rule for _, rule in ranked if all(holds(c, facts) for c in rule.when)]
    if not fired:
        return {}, ()
    if content.hit_policy is HitPolicy.COLLECT:
        merged: dict[str, Any] = {}
        for rule in fired:
            for name, value in rule.then.items():
                merged.setdefault(name, value)
        return merged, tuple(r.id for r in fired)
    return dict(fired[0].then), (fired[0].id,)
