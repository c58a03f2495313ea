"""Protocol v2 behind the ``DrawEngine`` port: commitment, seed, draw, replacements and the draw document."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from core.inspections.models import Commitment, DrawOutcome, Member, Plan, ReplacementOutcome
from scheduler import canonical, export_v2, pips, protocol


def _decimal(value: float) -> str:
    """A plan parameter (a float as stored) as the shortest decimal string that reads back as it."""
    return pips.ratio_text(value)


def parameters(plan: Plan) -> dict[str, Any]:
    return {"tier_weights": {tier: _decimal(w) for tier, w in sorted(plan.tier_weights.items())},
            "positive_list_factor": _decimal(plan.positive_list_factor), "cycle_boost": _decimal(plan.cycle_boost),
            "yearly_visit_cap": plan.yearly_visit_cap,
            "exclude_inspected_within_days": plan.exclude_inspected_within_days}


def _snapshot_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An inspector snapshot entry with dates as ISO strings (the whole entry is committed)."""
    return {k: (v.isoformat() if isinstance(v, date | datetime) else sorted(v) if isinstance(v, set) else v)
            for k, v in entry.items() if k != "_id"}


class ProtocolV2:
    """The v2 half of ``scheduler.engine.SchedulerEngine``."""

    protocol = 2

    def commit(self, *, plan: Plan, frozen_at: datetime, secret_commitment: str, announcement: Mapping[str, Any],
               inspection_date: date, members: Sequence[Member], ratios: Mapping[str, float],
               exclusions: Sequence[tuple[str, str]], divisions: Mapping[str, Sequence[str]],
               inspectors: Sequence[Mapping[str, Any]]) -> Commitment:
        params = parameters(plan)
        committed = [protocol.Member(
            m.credit_code, m.stratum, m.division, m.tier, m.positive_list, m.visited,
            protocol.plan_weight(m.tier, m.positive_list, m.visited, params) if plan.ratio_source == "plan"
            else pips.weight_text(m.weight)) for m in members]
        document = protocol.commitment_document(
            plan={"id": plan.id, "name": plan.name, "jurisdiction": plan.jurisdiction, "matters": list(plan.matters),
                  "period": [plan.period_start.isoformat(), plan.period_end.isoformat()],
                  "ratio_source": plan.ratio_source, "parameters": params},
            frozen_at=frozen_at.isoformat(), secret_commitment=secret_commitment, announcement=announcement,
            inspection={"date": inspection_date.isoformat(),
                        "window": [plan.period_start.isoformat(), plan.period_end.isoformat()],
                        "team_size": plan.team_size, "max_tasks_per_inspector": plan.max_tasks_per_inspector},
            members=committed, ratios={k: pips.ratio_text(v) for k, v in ratios.items()}, minimums={},
            excluded=exclusions, divisions=divisions, inspectors=[_snapshot_entry(e) for e in inspectors])
        data = canonical.dumps(document, checked=False)
        strata = document["strata"]
        return Commitment(document=document, canonical=data, commitment_hash=protocol.commitment_hash(document),
                          population_hash=protocol.population_hash(document),
                          sizes={k: v["size"] for k, v in strata.items()},
                          quotas={k: v["quota"] for k, v in strata.items()})

    def read_commitment(self, data: bytes) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(data)
        return document

    def commitment_hash(self, document: Mapping[str, Any]) -> str:
        return protocol.commitment_hash(document)

    def seed_v2(self, *, commitment_hash: str, secret: str, public_value: str) -> str:
        return protocol.seed(commitment_hash, secret, public_value)

    def draw_v2(self, document: Mapping[str, Any], seed: str) -> DrawOutcome:
        outcome = protocol.Commitment(document).draw(seed)
        return DrawOutcome(drawn=outcome.drawn, teams=outcome.teams, unstaffed=outcome.unstaffed)

    def redraw_seed_v2(self, seed: str, number: int, public_value: str) -> str:
        return protocol.redraw_seed(seed, number, public_value)

    def replace_v2(self, document: Mapping[str, Any], seed: str, done: Sequence[Mapping[str, Any]], *,
                   number: int, kind: str, target: str, staff_id: str | None, redraw_seed: str | None
                   ) -> ReplacementOutcome:
        """Replay the draw and the completed replacements ``done`` (stored records: ``change`` is their kind), then
        apply this one. With ``redraw_seed``
        None only the feasibility is tested (ValueError when the target has no active task or the inspector is
        not on it); the outcome is then meaningless."""
        commitment = protocol.Commitment(document)
        state = commitment.draw(seed).state
        for entry in sorted(done, key=lambda r: int(r["number"])):
            commitment.replace(state, number=int(entry["number"]), kind=entry["change"], target=entry["target"],
                               staff_id=entry.get("staff_id"), seed_hex=entry["seed"])
        result = commitment.replace(state, number=number, kind=kind, target=target, staff_id=staff_id,
                                    seed_hex=redraw_seed or "00" * 32)
        return ReplacementOutcome(replacement=result.replacement, team=result.team, keep=result.keep,
                                  removed=result.removed, unstaffed=result.unstaffed)

    def document_v2(self, *, commitment: Mapping[str, Any], secret: str, public_value: str, seed: str,
                    drawn: Mapping[str, Sequence[str]], teams: Mapping[str, Sequence[str]],
                    unstaffed: Mapping[str, str], redraws: Sequence[Mapping[str, Any]],
                    public: Mapping[str, Any]) -> dict[str, Any]:
        return export_v2.draw_document(commitment=commitment, secret=secret, public_value=public_value, seed=seed,
                                       drawn=drawn, teams=teams, unstaffed=unstaffed, redraws=redraws,
                                       public=public)
