"""Re-deciding the supervision class and positive-list status of enterprises whose facts changed, and
refreshing the decisions a newly activated version governs.

Each decision is kept with the version and the rules (and their rationale) that produced it; a
change of outcome is logged with what triggered it (an import, an edit, an event, the day, the demo,
an activation). The same outcome under a new version is stored too (the dossier names the version in
force) but is not a change. A refresh goes through its enterprises in credit-code order and moves its
cursor after each batch, so a run that stops resumes after the last batch it stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from core import progress
from core.db import Database
from core.policies.engine import RulesInForce
from core.policies.facts import facts_batches
from core.policies.kinds import PolicyKind
from core.policies.models import DecisionRefresh
from core.policies.repository import DecisionRepository, RefreshRepository, enterprises_within
from core.policies.scope import applicable
from core.registry.repository import EnterpriseRepository

Policies = Mapping[str, Mapping[str, RulesInForce]]
"""By kind, the policies in force by jurisdiction: an enterprise is decided by the most specific that covers it."""

BATCH = 500


async def redecide(database: Database, decisions: DecisionRepository, policies: Policies, *,
                   query: dict[str, Any], trigger: str, day: date) -> int:
    """Decide every enterprise matching ``query`` under ``policies`` (by kind); returns how many changed."""
    if not policies:
        return 0
    changed_total = 0
    if progress.listening():  # the count costs a query: only a command line's progress bar wants it
        progress.phase("policy decisions", await EnterpriseRepository(database).count_matching(query))
    # Streamed in batches: after a CLI import of a million rows, memory must stay flat here too.
    async for part in facts_batches(database, query, day, batch=BATCH):
        changed, _ = await decide_batch(decisions, part, policies, trigger)
        changed_total += changed
        progress.advance(len(part))
    return changed_total


async def refresh(database: Database, decisions: DecisionRepository, refreshes: RefreshRepository,
                  job: DecisionRefresh, policies: Policies, *, day: date) -> DecisionRefresh:
    """Decide the enterprises of ``job``'s jurisdiction again under ``policies``, from its cursor on."""
    trigger = f"activation:{job.version_id}"
    async for part in facts_batches(database, enterprises_within(job.jurisdiction), day, batch=BATCH,
                                    after=job.after):
        changed, _ = await decide_batch(decisions, part, policies, trigger)
        await refreshes.advance(job.id, after=part[-1][0]["credit_code"], evaluated=len(part), changed=changed)
    return await refreshes.finish(job.id)


async def decide_batch(decisions: DecisionRepository, part: list[tuple[dict[str, Any], dict[str, Any]]],
                       policies: Policies, trigger: str) -> tuple[int, int]:
    """Decide one batch and store it: (outcomes changed, decisions stored)."""
    stored = await decisions.current([doc["credit_code"] for doc, _ in part])
    changed = []
    refreshed = []
    for doc, facts in part:
        for kind, by_jurisdiction in policies.items():
            in_force = applicable(by_jurisdiction, doc["jurisdiction"])
            if in_force is None:
                continue
            outcome = in_force.rules.evaluate(facts)
            decision = {"outputs": outcome.outputs, "version": in_force.version.id, "rules": list(outcome.applied),
                        "rationale": [in_force.rules.rule(r).rationale for r in outcome.applied],
                        "at": datetime.now(UTC)}
            if kind == PolicyKind.SUPERVISION_CLASS:  # the kinds after it read the class just decided
                facts = {**facts, "supervision_class": outcome.outputs["class"]}
            before = stored.get(doc["credit_code"], {}).get(kind)
            if before is None or before["outputs"] != outcome.outputs:
                changed.append((doc["credit_code"], kind, decision, before))
            elif before.get("version") != in_force.version.id or before.get("rules") != decision["rules"]:
                refreshed.append((doc["credit_code"], kind, decision))
    await decisions.record(changed, trigger=trigger, refreshed=refreshed)
    return len(changed), len(changed) + len(refreshed)
