"""The rule engine the policy service is given (``core.policies.engine.PolicyEngine``): vocabulary, analysis,
durable_rules and the default packs, behind one object that api/assembly.py injects.
"""

from __future__ import annotations

from typing import Any

from core.error_codes import ErrorCode
from core.errors import FieldError
from core.policies.engine import CheckedContent
from core.policies.models import PolicyVersion
from rules import packs
from rules.analysis import analyse
from rules.engine import CompiledPolicy, Engine
from rules.model import PolicyContent, parse
from rules.vocabulary import FACTS

ENGINE = Engine()  # one long-lived host per process


def compiled(version: PolicyVersion) -> CompiledPolicy:
    """The version registered once per process under ``<kind>_<content hash>``."""
    content = PolicyContent.model_validate(version.content)
    return ENGINE.load(f"{content.kind}_{version.content_hash[:16]}", content)


class RulesEngine:
    """``PolicyEngine`` over rules/: stateless, every instance shares the process's one host."""

    def check(self, document: dict[str, Any]) -> tuple[CheckedContent | None, list[FieldError]]:
        content, errors = parse(document)
        if content is None:
            return None, errors
        return CheckedContent(kind=content.kind, content=content.model_dump(mode="json"),
                              content_hash=content.content_hash()), errors

    def validate(self, version: PolicyVersion) -> list[FieldError]:
        content, errors = parse(version.content)
        if content is None or errors:
            return errors
        errors = analyse(content)
        try:
            compiled(version)
        except Exception as exc:
            errors.append(FieldError("rules", f"durable_rules refused the compiled rules: {exc}",
                                     ErrorCode.COMPILE_FAILED))
        return errors

    def compile(self, version: PolicyVersion) -> CompiledPolicy:
        return compiled(version)

    def check_facts(self, facts: dict[str, Any]) -> list[FieldError]:
        errors = [FieldError(name, f"unknown fact {name}", ErrorCode.UNKNOWN_FACT)
                  for name in facts if name not in FACTS]
        return errors + [FieldError(name, f"{name} cannot be {value!r}", ErrorCode.TYPE_MISMATCH)
                         for name, value in facts.items() if name in FACTS and not FACTS[name].accepts(value)]

    def default_packs(self) -> dict[str, dict[str, Any]]:
        return {kind: packs.load(kind) for kind in packs.PACKS}
