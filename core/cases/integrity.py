"""A stored case checked against its record: the steps' hash chain, and the fold of the steps against the case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.cases.chain import GENESIS, step_hash
from core.cases.models import Case, Step, StepKind
from core.cases.settings import CaseRules
from core.cases.steps import fold
from core.errors import DomainError


@dataclass(frozen=True)
class CaseCheck:
    steps: int  # the steps checked: those the stored case was folded from
    problem: str | None = None  # the first mismatch found

    @property
    def ok(self) -> bool:
        return self.problem is None


def step_body(step: Step) -> dict[str, Any]:
    """What a step's hash covers (as ``CaseService`` hashed it when it recorded the step)."""
    return {"case_id": step.case_id, "seq": step.seq, "kind": step.kind.value, "request": step.request,
            "computed": step.computed, "actor": step.actor, "roles": step.roles,
            "inspector_id": step.inspector_id, "at": step.at.isoformat()}


def check_case(case: Case, steps: list[Step], rules: CaseRules) -> CaseCheck:
    """Walk the chain from the genesis hash, re-hash every step, then fold the steps and compare the case.

    Steps recorded after the case was read (seq beyond its version) are left out: the record is append-only."""
    record = [s for s in steps if s.seq <= case.version]
    prev = GENESIS
    for expected, step in enumerate(record, start=1):
        if step.seq != expected:
            return CaseCheck(len(record), f"step {expected} is missing (found seq {step.seq})")
        if (step.kind == StepKind.OPEN) != (step.seq == 1):
            return CaseCheck(len(record), f"step {step.seq} ({step.kind.value}): a case opens with its first step")
        if step.prev_hash != prev:
            return CaseCheck(len(record), f"step {step.seq} ({step.kind.value}): prev_hash does not link to step "
                                          f"{step.seq - 1}")
        if step_hash(step.prev_hash, step_body(step)) != step.hash:
            return CaseCheck(len(record), f"step {step.seq} ({step.kind.value}): hash does not match its content")
        prev = step.hash
    if len(record) != case.version:
        return CaseCheck(len(record), f"the case has {case.version} steps, the record {len(record)}")
    if case.head_hash != prev:
        return CaseCheck(len(record), "the case's head_hash is not the hash of its last step")
    try:
        folded = fold(record, rules)
    except DomainError as exc:
        return CaseCheck(len(record), f"the steps no longer fold: [{exc.code}] {exc.message}")
    if folded != case:
        return CaseCheck(len(record), f"the fold of the steps differs from the stored case in "
                                      f"{_first_difference(folded, case)}")
    return CaseCheck(len(record))


def _first_difference(folded: Case | None, stored: Case) -> str:
    if folded is None:
        return "everything (no steps)"
    mine, theirs = folded.model_dump(mode="json"), stored.model_dump(mode="json")
    field = next((k for k in mine if mine[k] != theirs.get(k)), None)
    if field is None:
        return "their types"
    return f"{field}: {_short(mine[field])} from the steps, {_short(theirs.get(field))} stored"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
