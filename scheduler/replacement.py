"""Replacement draws (redraws): a new, logged, verifiable draw for one task, never an edit.

An inspector replacement (an accepted recusal, leave) keeps the rest of the team and draws the
missing members among eligible inspectors other than the removed ones, with the loads the
original draw gave. An object replacement (an enterprise closed) draws one enterprise from the
same stratum among those not drawn yet, then staffs it. The randomness is
``SHA-256(original seed bytes + "redraw:<n>")``: fixed by the published original seed and the
redraw's number, so it cannot be steered by retrying.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from scheduler import assignment, sampling

FORMAT = "ecoinspect-redraw/1"


def redraw_seed(original_seed: str, number: int) -> str:
    return hashlib.sha256(bytes.fromhex(original_seed) + f"redraw:{number}".encode()).hexdigest()


@dataclass(frozen=True)
class Replacement:
    object_id: str
    team: list[str]
    reason_unstaffed: str | None = None


def replace_inspectors(slot: assignment.TaskSlot, pool: Sequence[assignment.Candidate], *, keep: Sequence[str],
                       removed: Sequence[str], loads: Mapping[str, int], seed_hex: str, on: date,
                       team_size: int) -> Replacement:
    excluded = set(keep) | set(removed)
    candidates = [c for c in pool if c.staff_id not in excluded]
    needed = team_size - len(keep)
    if needed <= 0:
        return Replacement(slot.object_id, list(keep))
    result = assignment.assign([slot], candidates, seed_hex=seed_hex, on=on, team_size=needed, initial_loads=loads)
    if slot.object_id in result.unstaffed:
        return Replacement(slot.object_id, list(keep), result.unstaffed[slot.object_id])
    return Replacement(slot.object_id, list(keep) + result.teams[slot.object_id])


def replace_object(rows: Sequence[tuple[str, str, float]], *, stratum: str, already_drawn: set[str],
                   seed_hex: str) -> str | None:
    """One enterprise of ``stratum`` not drawn yet, by the same weighted algorithm; None if none is left."""
    remaining = [r for r in rows if r[1] == stratum and r[0] not in already_drawn]
    if not remaining:
        return None
    population = sampling.Population.from_rows(remaining)
    drawn = sampling.draw(population, {stratum: 1}, seed_hex)
    return drawn[stratum][0]
