"""Re-deciding the supervision class and positive-list status of enterprises whose facts changed.

Each decision is kept with the version and the rules (and their rationale) that produced it; a
change is logged with what triggered it (an import, an edit, an event, the day, the demo).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from core.db import Database
from core.policies.engine import RulesInForce
from core.policies.facts import facts_batches
from core.policies.repository import DecisionRepository

BATCH = 500


async def redecide(database: Database, decisions: DecisionRepository, policies: dict[str, RulesInForce], *,
                   query: dict[str, Any], trigger: str, day: date) -> int:
    """Decide every enterprise matching ``query`` under ``policies`` (by kind); returns how many changed."""
    if not policies:
        return 0
    changed_total = 0
    # Streamed in batches: after a CLI import of a million rows, memory must stay flat here too.
    async for part in facts_batches(database, query, day, batch=BATCH):
        changed_total += await _decide(decisions, part, policies, trigger)
    return changed_total


async def _decide(decisions: DecisionRepository, part: list[tuple[dict[str, Any], dict[str, Any]]],
                  policies: dict[str, RulesInForce], trigger: str) -> int:
    stored = await decisions.current([doc["credit_code"] for doc, _ in part])
    changed = []
    for doc, facts in part:
        for kind, in_force in policies.items():
            outcome = in_force.rules.evaluate(facts)
            decision = {"outputs": outcome.outputs, "version": in_force.version.id, "rules": list(outcome.applied),
                        "rationale": [in_force.rules.rule(r).rationale for r in outcome.applied],
                        "at": datetime.now(UTC)}
            before = stored.get(doc["credit_code"], {}).get(kind)
            if before is None or before["outputs"] != outcome.outputs:
                changed.append((doc["credit_code"], kind, decision, before))
    await decisions.record(changed, trigger=trigger)
    return len(changed)
