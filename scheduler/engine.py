"""The draw engine that core/inspections is given at assembly: randomness, sampling, assignment, replacement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

from core.inspections.models import Task
from core.inspections.ports import Candidate, Row, Slot
from core.inspections.publication import PublicDraw
from scheduler import assignment, randomness, replacement, sampling
from scheduler.engine_v2 import ProtocolV2
from scheduler.export import draw_document


def candidate_from_snapshot(entry: Mapping[str, Any]) -> assignment.Candidate:
    """An inspector as frozen in a draw's snapshot (or, for targeted tasks, as read now)."""
    return assignment.Candidate(
        staff_id=entry["staff_id"], jurisdictions=tuple(entry["jurisdictions"]),
        certificate_expires=date.fromisoformat(entry["certificate_expires"]), on_post=entry["on_post"],
        conflicts=frozenset(entry["conflicts"]), visited=frozenset(entry.get("visited", ())),
        open_load=int(entry.get("open_load", 0)))


def _pool(pool: Sequence[Candidate]) -> Sequence[assignment.Candidate]:
    return cast(Sequence[assignment.Candidate], pool)  # made by ``candidates`` below


class SchedulerEngine(ProtocolV2):
    """Implements ``core.inspections.ports.DrawEngine`` with the pure modules of this package: protocol v2
    (``ProtocolV2``, the running one) and v1, which plans frozen before v2 are drawn and verified with."""

    object_algorithm = sampling.ALGORITHM
    inspector_algorithm = assignment.ALGORITHM

    def new_secret(self) -> str:
        return randomness.new_secret()

    def commitment(self, secret: str) -> str:
        return randomness.commitment(secret)

    def population_hash(self, rows: Sequence[Row]) -> str:
        return randomness.population_hash(rows)

    def strata(self, rows: Sequence[Row], ratios: Mapping[str, float]) -> tuple[dict[str, int], dict[str, int]]:
        sizes = sampling.Population.from_rows(rows).sizes()
        return sizes, sampling.quotas(sizes, ratios)

    def seed(self, *, secret: str, population_hash: str, plan_id: str, public_value: str) -> str:
        return randomness.derive_seed(secret_hex=secret, population_digest=population_hash, plan_id=plan_id,
                                      public_value=public_value)

    def draw_objects(self, rows: Sequence[Row], quotas: Mapping[str, int], seed: str) -> dict[str, list[str]]:
        return sampling.draw(sampling.Population.from_rows(rows), quotas, seed)

    def candidates(self, snapshot: Sequence[Mapping[str, Any]]) -> list[assignment.Candidate]:
        return [candidate_from_snapshot(entry) for entry in snapshot]

    def assign(self, slots: Sequence[Slot], pool: Sequence[Candidate], *, seed: str, on: date, team_size: int,
               loads: Mapping[str, int] | None = None) -> assignment.Assignment:
        tasks = [assignment.TaskSlot(code, path) for code, path in slots]
        return assignment.assign(tasks, _pool(pool), seed_hex=seed, on=on, team_size=team_size,
                                 initial_loads=loads)

    def redraw_seed(self, seed: str, number: int) -> str:
        return replacement.redraw_seed(seed, number)

    def replace_inspectors(self, slot: Slot, pool: Sequence[Candidate], *, keep: Sequence[str],
                           removed: Sequence[str], loads: Mapping[str, int], seed: str, on: date,
                           team_size: int) -> replacement.Replacement:
        return replacement.replace_inspectors(assignment.TaskSlot(*slot), _pool(pool), keep=keep, removed=removed,
                                              loads=loads, seed_hex=seed, on=on, team_size=team_size)

    def replace_object(self, rows: Sequence[Row], *, stratum: str, already_drawn: set[str],
                       seed: str) -> str | None:
        return replacement.replace_object(rows, stratum=stratum, already_drawn=already_drawn, seed_hex=seed)

    def document(self, *, record: PublicDraw, rows: Sequence[Row], tasks: Sequence[Task],
                 pool: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return draw_document(record=record, rows=rows, tasks=tasks, pool=pool)
