"""Builds the public draw document (format ``ecoinspect-draw/1``) that ``verify-draw`` checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.inspections.models import Draw, Plan, Task
from core.reference import tables
from scheduler.verification import FORMAT


def draw_document(*, plan: Plan, draw: Draw, rows: Sequence[tuple[str, str, float]], tasks: Sequence[Task],
                  pool: Sequence[Mapping[str, Any]], redraws: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Everything needed to re-compute the draw: the frozen population, the randomness, the snapshot, the teams."""
    drawn: dict[str, list[str]] = {stratum: [] for stratum in draw.quotas}
    for task in tasks:
        drawn.setdefault(task.stratum, []).append(task.credit_code)
    return {
        "format": FORMAT,
        "plan": {"id": plan.id, "name": plan.name, "jurisdiction": plan.jurisdiction,
                 "matters": plan.matters, "period": [plan.period_start.isoformat(), plan.period_end.isoformat()],
                 "ratios": plan.stratum_ratios or {k.value: v for k, v in plan.ratios.items()},
                 "ratio_source": plan.ratio_source,
                 "tier_weights": plan.tier_weights, "positive_list_factor": plan.positive_list_factor,
                 "cycle_boost": plan.cycle_boost, "frozen_at": plan.frozen_at.isoformat() if plan.frozen_at else None},
        "population": {"hash": draw.population_hash, "rows": [list(r) for r in rows]},
        "randomness": {"commitment": draw.commitment, "secret": draw.secret, "public_value": draw.public_value,
                       "seed": draw.seed},
        "objects": {"algorithm": draw.object_algorithm, "quotas": draw.quotas,
                    "drawn": {k: sorted(v) for k, v in drawn.items()}},
        "inspectors": {
            "algorithm": draw.inspector_algorithm, "date": draw.inspection_date.isoformat(),
            "team_size": draw.team_size, "pool": list(pool),
            "tasks": [{"object_id": t.credit_code, "jurisdiction_path": tables.ancestors(t.jurisdiction)}
                      for t in tasks],
            "teams": {t.credit_code: t.drawn_inspectors for t in tasks if t.drawn_inspectors},
            "unstaffed": draw.unstaffed,
        },
        "redraws": list(redraws),
        "draw": {"id": draw.id, "kind": draw.kind, "created_at": draw.created_at.isoformat(),
                 "created_by": draw.created_by},
    }
