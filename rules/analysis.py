"""Static analysis of a policy over its finite fact domain: gaps, conflicts, dead rules.

Enumerations and booleans are finite; a number only matters relative to the thresholds the
rules compare it with, so one value below, at and above each threshold represents every case.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from core.error_codes import ErrorCode
from core.errors import FieldError
from rules.model import Condition, HitPolicy, PolicyContent
from rules.vocabulary import FACTS, FactType

MAX_COMBINATIONS = 200_000


def domain(content: PolicyContent, fact: str) -> list[Any]:
    """Representative values of ``fact``: one per distinct outcome of the conditions on it.

    Two values that every condition on the fact treats alike are interchangeable, so only the
    first is kept; this keeps the product of domains small when a rule names a few of many codes.
    """
    spec = FACTS[fact]
    conditions = [c for r in content.rules for c in r.when if c.fact == fact]
    if spec.type is FactType.ENUM:
        candidates: list[Any] = list(spec.values)
    elif spec.type is FactType.BOOL:
        candidates = [False, True]
    else:
        cuts = sorted({float(c.value) for c in conditions})
        step = 1 if spec.type is FactType.INT else 1e-6
        points = {spec.minimum, *(p for t in cuts for p in (t - step, t, t + step))}
        candidates = sorted(int(p) if spec.type is FactType.INT else p for p in points
                            if spec.minimum <= p <= spec.maximum)
    seen: set[tuple[bool, ...]] = set()
    kept = []
    for value in candidates:
        outcome = tuple(holds(c, value) for c in conditions)
        if outcome not in seen:
            seen.add(outcome)
            kept.append(value)
    return kept


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda value, target: value == target, "ne": lambda value, target: value != target,
    "in": lambda value, target: value in target, "not_in": lambda value, target: value not in target,
    "lt": lambda value, target: value < target, "lte": lambda value, target: value <= target,
    "gt": lambda value, target: value > target, "gte": lambda value, target: value >= target,
}


def holds(condition: Condition, value: Any) -> bool:
    return bool(_TESTS[condition.op](value, condition.value))


def combinations(content: PolicyContent) -> Iterator[dict[str, Any]]:
    facts = content.facts_used()
    for values in itertools.product(*(domain(content, f) for f in facts)):
        yield dict(zip(facts, values, strict=True))


def analyse(content: PolicyContent) -> list[FieldError]:
    facts = content.facts_used()
    size = 1
    for fact in facts:
        size *= len(domain(content, fact))
    if size > MAX_COMBINATIONS:
        return [FieldError("rules", f"{size} fact combinations; analysis stops at {MAX_COMBINATIONS}",
                           ErrorCode.ANALYSIS_TOO_LARGE)]
    ranked = sorted(enumerate(content.rules), key=lambda pair: (pair[1].priority, pair[0]))
    used: set[str] = set()
    problems: list[FieldError] = []
    gap_reported = conflict_reported = False
    for combination in combinations(content):
        matching = [rule for _, rule in ranked if all(holds(c, combination[c.fact]) for c in rule.when)]
        if not matching:
            if content.hit_policy is not HitPolicy.COLLECT and not gap_reported:
                problems.append(FieldError("rules", f"no rule applies when {_describe(combination)}", ErrorCode.GAP))
                gap_reported = True
            continue
        if content.hit_policy is HitPolicy.COLLECT:
            used.update(r.id for r in matching)
            continue
        used.add(matching[0].id)
        tied = [r for r in matching if r.priority == matching[0].priority]
        if (content.hit_policy is HitPolicy.PRIORITY and len({str(r.then) for r in tied}) > 1
                and not conflict_reported):
            problems.append(FieldError(f"rules.{tied[1].id}", f"rules {', '.join(r.id for r in tied)} share "
                                       f"priority {tied[0].priority} and disagree when {_describe(combination)}",
                                       ErrorCode.CONFLICT))
            conflict_reported = True
    problems += [FieldError(f"rules.{rule.id}", f"rule {rule.id} can never decide anything", ErrorCode.DEAD_RULE)
                 for rule in content.rules if rule.id not in used]
    return problems


def _describe(combination: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in combination.items()) or "always"
