"""Builds the public draw document (format ``ecoinspect-draw/1``) that ``verify-draw`` checks.

What the public sees of the plan, the draw and its replacements comes from the one public record
(``core.inspections.publication``); this module adds what re-computing the draw needs: the frozen
population, the randomness, the quotas, the inspector snapshot and the teams as drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.inspections import publication
from core.inspections.models import Task
from core.inspections.publication import PublicDraw
from core.reference import tables
from scheduler.verification import FORMAT


def draw_document(*, record: PublicDraw, rows: Sequence[tuple[str, str, float]], tasks: Sequence[Task],
                  pool: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Everything needed to re-compute the draw; ``tasks`` are the draw's own (its replacements are in ``record``)."""
    plan, draw = record.plan, record.draw
    drawn: dict[str, list[str]] = {stratum: [] for stratum in draw.quotas}
    for task in tasks:
        drawn.setdefault(task.stratum, []).append(task.credit_code)
    return {
        "format": FORMAT,
        "plan": {**publication.plan_json(plan),
                 "ratios": plan.stratum_ratios or {k.value: v for k, v in plan.ratios.items()},
                 "ratio_source": plan.ratio_source, "tier_weights": plan.tier_weights,
                 "positive_list_factor": plan.positive_list_factor, "cycle_boost": plan.cycle_boost},
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
        "redraws": publication.document_redraws(record),
        "draw": publication.document_draw(draw),
    }
