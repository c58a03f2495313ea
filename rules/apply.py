"""Recompute the supervision class and positive-list status of enterprises when their facts change.

Each decision is kept with the version and the rules (and their rationale) that produced it; a
change is logged with what triggered it (an import, an edit, a policy activation).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from core.db import Database
from core.policies.repository import DecisionRepository
from core.reference import tables
from rules.facts import enterprise_facts
from rules.lifecycle import PolicyService, compiled
from rules.model import PolicyContent
from rules.simulation import FIELDS

APPLIED_KINDS = ("supervision_class", "positive_list")
BATCH = 500


async def apply_decisions(database: Database, service: PolicyService, *, query: dict[str, Any],
                          trigger: str) -> int:
    """Re-decide every enterprise matching ``query``; returns how many decisions changed."""
    today = datetime.now(UTC).date()
    policies = {}
    for kind in APPLIED_KINDS:
        version = await service.in_force(f"{kind}:{tables.root_code()}", today)
        if version is not None:
            content = PolicyContent.model_validate(version.content)
            policies[kind] = (version, compiled(version), {r.id: r for r in content.rules})
    if not policies:
        return 0
    repository = DecisionRepository(database)
    changed_total = 0
    part: list[dict[str, Any]] = []
    # Streamed in batches: after a CLI import of a million rows, memory must stay flat here too.
    async for doc in database["enterprises"].find(query, FIELDS):
        part.append(doc)
        if len(part) == BATCH:
            changed_total += await _decide(repository, part, policies, today, trigger)
            part = []
    return changed_total + await _decide(repository, part, policies, today, trigger)


async def _decide(repository: DecisionRepository, part: list[dict[str, Any]], policies: dict[str, Any],
                  today: date, trigger: str) -> int:
    if not part:
        return 0
    stored = await repository.current([d["credit_code"] for d in part])
    changed = []
    for doc in part:
        facts = enterprise_facts(doc, day=today)
        for kind, (version, policy, rules) in policies.items():
            outcome = policy.evaluate(facts)
            decision = {"outputs": outcome.outputs, "version": version.id, "rules": list(outcome.applied),
                        "rationale": [rules[r].rationale for r in outcome.applied], "at": datetime.now(UTC)}
            before = stored.get(doc["credit_code"], {}).get(kind)
            if before is None or before["outputs"] != outcome.outputs:
                changed.append((doc["credit_code"], kind, decision, before))
    await repository.record(changed, trigger=trigger)
    return len(changed)
