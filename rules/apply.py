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
from rules.facts import facts_batches
from rules.lifecycle import PolicyService, compiled
from rules.model import PolicyContent

APPLIED_KINDS = ("supervision_class", "positive_list")
BATCH = 500


async def apply_decisions(database: Database, service: PolicyService, *, query: dict[str, Any],
                          trigger: str, day: date | None = None) -> int:
    """Re-decide every enterprise matching ``query`` as of ``day`` (today); returns how many changed."""
    today = day or datetime.now(UTC).date()
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
    # Streamed in batches: after a CLI import of a million rows, memory must stay flat here too.
    async for part in facts_batches(database, query, today, batch=BATCH):
        changed_total += await _decide(repository, part, policies, trigger)
    return changed_total


async def _decide(repository: DecisionRepository, part: list[tuple[dict[str, Any], dict[str, Any]]],
                  policies: dict[str, Any], trigger: str) -> int:
    stored = await repository.current([doc["credit_code"] for doc, _ in part])
    changed = []
    for doc, facts in part:
        for kind, (version, policy, rules) in policies.items():
            outcome = policy.evaluate(facts)
            decision = {"outputs": outcome.outputs, "version": version.id, "rules": list(outcome.applied),
                        "rationale": [rules[r].rationale for r in outcome.applied], "at": datetime.now(UTC)}
            before = stored.get(doc["credit_code"], {}).get(kind)
            if before is None or before["outputs"] != outcome.outputs:
                changed.append((doc["credit_code"], kind, decision, before))
    await repository.record(changed, trigger=trigger)
    return len(changed)


async def redecide_daily(database: Database, service: PolicyService, day: date) -> dict[str, Any]:
    """Once a day, re-decide everyone: versions whose effective date has come, windows that moved."""
    repository = DecisionRepository(database)
    if not await repository.claim_day(day):
        return {"skipped": f"already re-decided on {day.isoformat()}"}
    changed = await apply_decisions(database, service, query={}, trigger=f"daily:{day.isoformat()}", day=day)
    return {"changed": changed}
