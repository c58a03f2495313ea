"""Policy versions as data: rules of conditions over the vocabulary, outputs, a hit policy; validation."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.error_codes import ErrorCode
from core.errors import FieldError
from core.policies import parameters
from rules.vocabulary import FACTS, LIST_OPERATORS, NUMERIC_OPERATORS, OPERATORS, OUTPUTS, FactType


class HitPolicy(StrEnum):
    FIRST = "first"  # the matching rule with the lowest priority number wins
    PRIORITY = "priority"  # like first, and overlapping rules must not share a priority
    COLLECT = "collect"  # every matching rule contributes


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fact: str
    op: str
    value: Any


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    priority: int = Field(default=100, ge=0, le=10000)
    when: list[Condition] = Field(default_factory=list)
    then: dict[str, Any]
    rationale: str = Field(min_length=1, max_length=2000)
    legal_reference: str = ""


class PolicyContent(BaseModel):
    """The editable part of a version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    hit_policy: HitPolicy = HitPolicy.FIRST
    rules: list[Rule] = Field(min_length=1)
    effective_from: date | None = None
    effective_to: date | None = None
    parameters: dict[str, Any] | None = None  # policy-wide values of the kind (core/policies/parameters.py)

    def content_hash(self) -> str:
        # Without parameters the hash is the one versions had before the field existed.
        exclude = {"parameters"} if self.parameters is None else None
        canonical = json.dumps(self.model_dump(mode="json", exclude=exclude), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def facts_used(self) -> list[str]:
        return sorted({c.fact for rule in self.rules for c in rule.when})


def parse(document: dict[str, Any]) -> tuple[PolicyContent | None, list[FieldError]]:
    """Parse and check a policy document; every problem is coded and names the rule and field."""
    try:
        content = PolicyContent.model_validate(document)
    except ValidationError as exc:
        return None, [FieldError(".".join(str(p) for p in e["loc"]), str(e["msg"]), ErrorCode.MALFORMED_POLICY)
                      for e in exc.errors()]
    return content, check(content)


def check(content: PolicyContent) -> list[FieldError]:
    errors: list[FieldError] = []
    outputs = OUTPUTS.get(content.kind)
    if outputs is None:
        return [FieldError("kind", f"unknown policy kind {content.kind}", ErrorCode.UNKNOWN_KIND)]
    seen: set[str] = set()
    for rule in content.rules:
        where = f"rules.{rule.id}"
        if rule.id in seen:
            errors.append(FieldError(where, f"rule id {rule.id} is used twice", ErrorCode.DUPLICATE_RULE))
        seen.add(rule.id)
        for index, condition in enumerate(rule.when):
            errors += _check_condition(condition, f"{where}.when.{index}")
        for name, value in rule.then.items():
            spec = outputs.get(name)
            if spec is None:
                errors.append(FieldError(f"{where}.then.{name}", f"{content.kind} has no output {name}",
                                         ErrorCode.UNKNOWN_OUTPUT))
            elif not spec.accepts(value):
                allowed = (f"one of {', '.join(spec.values)}" if spec.values
                           else f"{spec.type.value} in [{spec.minimum}, {spec.maximum}]")
                errors.append(FieldError(f"{where}.then.{name}", f"{name} must be {allowed}, got {value!r}",
                                         ErrorCode.INVALID_OUTPUT))
        missing = set(outputs) - set(rule.then)
        if missing and content.hit_policy is not HitPolicy.COLLECT:
            errors.append(FieldError(f"{where}.then", f"missing output(s) {', '.join(sorted(missing))}",
                                     ErrorCode.MISSING_OUTPUT))
    errors += _check_parameters(content)
    if content.effective_from and content.effective_to and content.effective_to < content.effective_from:
        errors.append(FieldError("effective_to", "effective_to is before effective_from", ErrorCode.INVALID_PERIOD))
    return errors


def _check_parameters(content: PolicyContent) -> list[FieldError]:
    errors: list[FieldError] = []
    declared = parameters.declared(content.kind)
    for name, value in (content.parameters or {}).items():
        spec = declared.get(name)
        if spec is None:
            errors.append(FieldError(f"parameters.{name}", f"{content.kind} has no parameter {name}",
                                     ErrorCode.UNKNOWN_OUTPUT))
        elif not spec.field.accepts(value):
            allowed = ("true or false" if spec.field.type is FactType.BOOL
                       else f"{spec.field.type.value} in [{spec.field.minimum}, {spec.field.maximum}]")
            errors.append(FieldError(f"parameters.{name}", f"{name} must be {allowed}, got {value!r}",
                                     ErrorCode.INVALID_OUTPUT))
    return errors


def _check_condition(condition: Condition, where: str) -> list[FieldError]:
    spec = FACTS.get(condition.fact)
    if spec is None:
        return [FieldError(f"{where}.fact", f"unknown fact {condition.fact}", ErrorCode.UNKNOWN_FACT)]
    if condition.op not in OPERATORS:
        return [FieldError(f"{where}.op", f"unknown operator {condition.op}", ErrorCode.UNKNOWN_OPERATOR)]
    if condition.op in NUMERIC_OPERATORS and spec.type not in (FactType.INT, FactType.NUMBER):
        return [FieldError(f"{where}.op", f"{condition.op} needs a number; {spec.name} is {spec.type.value}",
                           ErrorCode.TYPE_MISMATCH)]
    values = condition.value if condition.op in LIST_OPERATORS else [condition.value]
    if condition.op in LIST_OPERATORS and (not isinstance(condition.value, list) or not condition.value):
        return [FieldError(f"{where}.value", f"{condition.op} needs a non-empty list", ErrorCode.TYPE_MISMATCH)]
    for value in values:
        if not spec.accepts(value):
            unknown = spec.type is FactType.ENUM and isinstance(value, str)
            code = ErrorCode.UNKNOWN_VALUE if unknown else ErrorCode.TYPE_MISMATCH
            expected = f"one of {', '.join(spec.values)}" if spec.values else spec.type.value
            return [FieldError(f"{where}.value", f"{spec.name} takes {expected}, got {value!r}", code)]
    return []
