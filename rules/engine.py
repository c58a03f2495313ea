"""The durable_rules engine: compiles policy versions and evaluates facts. The only importer of ``durable``.

Sharp edges handled here (see DESIGN.md): ``assert_fact`` (not ``post``) so every matching rule
fires, then ``delete_state`` for that sid; one ruleset name per version, registered once; a deep
copy to ``set_rulesets``; a host without the background dispatcher threads; "no rule applies"
(``MessageNotHandledException``) is an empty result; an exception inside an action is raised;
facts are checked against the vocabulary before they reach the engine (it does no type checks);
each rule has its own action (its id) so the engine tells which rules fired.
"""

from __future__ import annotations

import copy
import functools
import itertools
import operator
import threading
from dataclasses import dataclass
from typing import Any

from durable.engine import Host, MessageNotHandledException

from core.policies.engine import EvaluationError
from rules.model import Condition, HitPolicy, PolicyContent, Rule
from rules.vocabulary import FACTS, NUMERIC_OPERATORS, FactType

ALWAYS = "_always"
MAX_LIVE_SIDS = 256  # far below durable_rules' 1,024 live sids per ruleset
MAX_EXACT = 100_000  # exact-value decisions kept per version before the cache starts over


class EngineError(EvaluationError):
    """A fact that does not fit the vocabulary, or an error inside the engine."""


class _QuietHost(Host):  # type: ignore[misc]  # durable_rules ships no types: Host is Any
    """A Host without the two dispatcher threads that race with synchronous calls."""

    def __init__(self) -> None:
        self.actions: dict[str, Any] = {}
        super().__init__()

    def _run(self) -> None:
        return

    def get_action(self, action_name: str) -> Any:
        return self.actions[action_name]


@dataclass(frozen=True)
class Decision:
    outputs: dict[str, Any]
    fired: tuple[str, ...]  # every rule whose conditions held, in priority order
    applied: tuple[str, ...]  # the rules the hit policy used

    @property
    def matched(self) -> bool:
        return bool(self.applied)


def _to_durable(condition: Condition) -> dict[str, Any]:
    fact, op, value = condition.fact, condition.op, condition.value
    if op == "eq":
        return {fact: value}
    if op == "ne":
        return {"$neq": {fact: value}}
    if op in NUMERIC_OPERATORS:
        return {f"${op}": {fact: value}}
    if op == "in":
        return {"$or": [{fact: v} for v in value]}
    return {"$and": [{"$neq": {fact: v}} for v in value]}  # not_in


def compile_ruleset(content: PolicyContent) -> dict[str, Any]:
    rules = {}
    for rule in content.rules:
        parts = [_to_durable(c) for c in rule.when] or [{ALWAYS: 1}]
        match = parts[0] if len(parts) == 1 else {"$and": parts}
        rules[rule.id] = {"all": [{"m": match}], "pri": rule.priority, "run": rule.id}
    return rules


class CompiledPolicy:
    """One version registered in the engine under its own ruleset name."""

    def __init__(self, engine: Engine, name: str, content: PolicyContent) -> None:
        self.engine, self.name, self.content = engine, name, content
        self.order = {rule.id: (rule.priority, index) for index, rule in enumerate(content.rules)}
        self.outputs = {rule.id: rule.then for rule in content.rules}
        self.facts = content.facts_used()
        self._classifiers = [_classifier(fact, [c for r in content.rules for c in r.when if c.fact == fact])
                             for fact in self.facts]
        self._cache: dict[tuple[Any, ...], Decision] = {}
        self._exact: dict[tuple[Any, ...], Decision] = {}
        self._checks = [(fact, _checker(fact)) for fact in self.facts]
        self._values = _value_getter(self.facts)
        self._slots = threading.BoundedSemaphore(MAX_LIVE_SIDS)
        self._sid = itertools.count()
        self._rules = {rule.id: rule for rule in content.rules}

    @property
    def distinct_signatures(self) -> int:
        return len(self._cache)

    @property
    def hit_policy(self) -> str:
        return self.content.hit_policy.value

    def rule(self, rule_id: str) -> Rule:
        """A rule of this version by id (its rationale and legal reference explain a decision)."""
        return self._rules[rule_id]

    def signature(self, facts: dict[str, Any]) -> tuple[Any, ...]:
        """Facts reduced to what this version can tell apart; equal signatures get equal decisions.

        Each fact becomes the outcome of every condition on it: the engine fires the same rules
        for two fact sets whose conditions all come out alike, so one run serves both.
        """
        return tuple(classify(facts.get(fact)) for fact, classify in zip(self.facts, self._classifiers, strict=True))

    def evaluate(self, facts: dict[str, Any], *, reuse: bool = True) -> Decision:
        if not reuse:
            self.check(facts)
            return self._run(facts)
        try:
            values = self._values(facts)
        except KeyError as exc:
            raise EngineError(f"fact {exc.args[0]} is missing") from None
        # Exact values and their types: True and 1 are equal as keys, but not the same fact.
        exact = values + tuple(map(type, values))
        decision = self._exact.get(exact)
        if decision is None:
            self.check(facts)
            key = self.signature(facts)
            decision = self._cache.get(key)
            if decision is None:
                decision = self._cache[key] = self._run(facts)
            if len(self._exact) >= MAX_EXACT:
                self._exact.clear()
            self._exact[exact] = decision
        return decision

    def check(self, facts: dict[str, Any]) -> None:
        """Refuse facts that are missing or do not fit the vocabulary (the engine does no type checks)."""
        for name, accepts in self._checks:
            if name not in facts:
                raise EngineError(f"fact {name} is missing")
            if not accepts(facts[name]):
                raise EngineError(f"fact {name} has an invalid value {facts[name]!r}")

    def _run(self, facts: dict[str, Any]) -> Decision:
        sid = f"s{next(self._sid)}"
        with self._slots:
            try:
                state = self.engine.assert_fact(self.name, {**{f: facts[f] for f in self.facts if f in facts},
                                                            ALWAYS: 1, "sid": sid})
            except MessageNotHandledException:
                state = {}
            finally:
                self.engine.delete_state(self.name, sid)
        if state.get("exception"):
            raise EngineError(f"{self.name}: {state['exception']}")
        fired = tuple(sorted(state.get("fired") or [], key=self.order.__getitem__))
        return self._apply(fired)

    def _apply(self, fired: tuple[str, ...]) -> Decision:
        if not fired:
            return Decision({}, (), ())
        if self.content.hit_policy is HitPolicy.COLLECT:
            merged: dict[str, Any] = {}
            for rule_id in fired:
                for name, value in self.outputs[rule_id].items():
                    merged.setdefault(name, value)
            return Decision(merged, fired, fired)
        return Decision(dict(self.outputs[fired[0]]), fired, (fired[0],))


def _classifier(fact: str, conditions: list[Condition]) -> Any:
    """value → the tuple of outcomes of ``conditions`` (a table for finite domains, tests for numbers)."""
    spec = FACTS[fact]
    tests = [functools.partial(_TESTS[c.op], target=c.value) for c in conditions]
    if spec.type is FactType.ENUM or spec.type is FactType.BOOL:
        values = spec.values if spec.type is FactType.ENUM else (False, True)
        table = {value: tuple(test(value) for test in tests) for value in values}
        return table.get
    return lambda value: tuple(test(value) for test in tests)


_TESTS = {
    "eq": lambda value, target: value == target, "ne": lambda value, target: value != target,
    "in": lambda value, target: value in target, "not_in": lambda value, target: value not in target,
    "lt": lambda value, target: value < target, "lte": lambda value, target: value <= target,
    "gt": lambda value, target: value > target, "gte": lambda value, target: value >= target,
}


def _value_getter(names: list[str]) -> Any:
    """facts → tuple of the named values, in C where possible (itemgetter returns a bare value for one key)."""
    if not names:
        return lambda _facts: ()
    if len(names) == 1:
        name = names[0]
        return lambda facts: (facts[name],)
    return operator.itemgetter(*names)


def _checker(name: str) -> Any:
    """A fast type-and-range check for one fact, built once per compiled version."""
    spec = FACTS[name]
    if spec.type is FactType.ENUM:
        allowed = frozenset(spec.values)
        return lambda value: value.__class__ is str and value in allowed
    if spec.type is FactType.BOOL:
        return lambda value: value.__class__ is bool
    low, high = spec.minimum, spec.maximum
    if spec.type is FactType.INT:
        return lambda value: value.__class__ is int and low <= value <= high
    return lambda value: value.__class__ in (int, float) and low <= value <= high


class Engine:
    """One long-lived host per process; versions are registered once under their own names."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._compiled: dict[str, CompiledPolicy] = {}

    def load(self, name: str, content: PolicyContent) -> CompiledPolicy:
        with self._lock:
            if name in self._compiled:
                return self._compiled[name]
            for rule in content.rules:
                self._host.actions[f"{name}:{rule.id}"] = _recorder(rule.id)
            ruleset = compile_ruleset(content)
            for rule_id, definition in ruleset.items():
                definition["run"] = f"{name}:{rule_id}"
            self._host.set_rulesets(copy.deepcopy({name: ruleset}))
            compiled = self._compiled[name] = CompiledPolicy(self, name, content)
            return compiled

    def assert_fact(self, name: str, fact: dict[str, Any]) -> dict[str, Any]:
        return dict(self._host.assert_fact(name, fact))

    def delete_state(self, name: str, sid: str) -> None:
        self._host.delete_state(name, sid)


def _recorder(rule_id: str) -> Any:
    def action(c: Any) -> None:
        c.s.fired = [*(c.s.fired or []), rule_id]

    return action
