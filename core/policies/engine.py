"""What the policy service needs from a rule engine: ``PolicyEngine``, implemented in rules/, injected at assembly.

core never imports rules/: checking documents against the vocabulary, the static analysis,
compilation and evaluation by durable_rules and the default packs reach core through this
Protocol (``rules.policy_engine.RulesEngine``, wired in ``api/assembly.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import FieldError
from core.policies.models import PolicyVersion


class EvaluationError(RuntimeError):
    """Facts that do not fit the vocabulary, or an error inside the engine."""


@dataclass(frozen=True)
class CheckedContent:
    """A policy document the engine accepted: its kind, its normal form (JSON) and its content hash."""

    kind: str
    content: dict[str, Any]
    content_hash: str


class Verdict(Protocol):
    """One evaluation: the outputs, every rule that held (priority order) and the rules the hit policy used."""

    @property
    def outputs(self) -> dict[str, Any]: ...

    @property
    def fired(self) -> tuple[str, ...]: ...

    @property
    def applied(self) -> tuple[str, ...]: ...


class RuleNote(Protocol):
    """Why a rule exists: what a decision quotes."""

    @property
    def rationale(self) -> str: ...

    @property
    def legal_reference(self) -> str: ...


class CompiledRules(Protocol):
    """One version, ready to evaluate facts (raises ``EvaluationError`` for facts it cannot take)."""

    @property
    def facts(self) -> list[str]: ...

    @property
    def hit_policy(self) -> str: ...

    def rule(self, rule_id: str) -> RuleNote: ...

    def evaluate(self, facts: dict[str, Any]) -> Verdict: ...


@dataclass(frozen=True)
class RulesInForce:
    """A province-wide policy's version in force on a day, compiled."""

    version: PolicyVersion
    rules: CompiledRules


class PolicyEngine(Protocol):
    def check(self, document: dict[str, Any]) -> tuple[CheckedContent | None, list[FieldError]]:
        """Parse a document and check it against the vocabulary; every problem is coded."""
        ...

    def validate(self, version: PolicyVersion) -> list[FieldError]:
        """The checks, the static analysis (gaps, conflicts, dead rules) and a trial compilation."""
        ...

    def compile(self, version: PolicyVersion) -> CompiledRules:
        """The version compiled once per process (by content), for evaluation."""
        ...

    def check_facts(self, facts: dict[str, Any]) -> list[FieldError]:
        """Facts that are not in the vocabulary or have a value it does not accept (field: the fact)."""
        ...

    def default_packs(self) -> dict[str, dict[str, Any]]:
        """The documents shipped with the code, by policy kind."""
        ...
