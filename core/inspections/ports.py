"""What the plan lifecycle needs from outside core, injected at assembly (scheduler/engine.py, rules/population.py).

core does not import scheduler or rules: the draw's arithmetic (seed, sampling, assignment,
replacement, the public document) and the policy classifier reach the services through these
signatures, wired in ``api/assembly.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from core.inspections.classes import Classifier
from core.inspections.models import Commitment, DrawOutcome, Member, Plan, ReplacementOutcome, Task
from core.inspections.publication import PublicDraw

Row = tuple[str, str, float]
"""One member of a frozen population: (credit code, stratum, weight)."""
Slot = tuple[str, tuple[str, ...]]
"""A drawn object to staff: (credit code, its division and the division's ancestors)."""

ClassifierFactory = Callable[[Plan], Awaitable[Classifier]]
"""The classifier of a plan from the policies in force on its start: the class always; the ratio and weight
too when ``ratio_source="policy"`` (otherwise the plan's own)."""
PublicationDue = Callable[[date], date]
"""The day by which the result of a check completed on a day must be published (working days)."""


class Candidate(Protocol):
    """An inspector of a draw's snapshot, as the engine sees it."""

    @property
    def staff_id(self) -> str: ...

    def eligible_on(self, day: date) -> bool: ...


class Staffing(Protocol):
    """Teams drawn for tasks (lead first) and, for the tasks left without one, why."""

    @property
    def teams(self) -> dict[str, list[str]]: ...

    @property
    def unstaffed(self) -> dict[str, str]: ...


class Replacement(Protocol):
    """The team of a replacement draw, or why none could be drawn."""

    @property
    def team(self) -> list[str]: ...

    @property
    def reason_unstaffed(self) -> str | None: ...


class DrawEngine(Protocol):
    """The verifiable randomness, sampling and assignment algorithms (implemented in scheduler/)."""

    @property
    def object_algorithm(self) -> str: ...

    @property
    def inspector_algorithm(self) -> str: ...

    def new_secret(self) -> str: ...

    def commitment(self, secret: str) -> str: ...

    def population_hash(self, rows: Sequence[Row]) -> str: ...

    def strata(self, rows: Sequence[Row], ratios: Mapping[str, float]) -> tuple[dict[str, int], dict[str, int]]:
        """(size, quota) of every stratum."""
        ...

    def seed(self, *, secret: str, population_hash: str, plan_id: str, public_value: str) -> str: ...

    def draw_objects(self, rows: Sequence[Row], quotas: Mapping[str, int], seed: str) -> dict[str, list[str]]: ...

    def candidates(self, snapshot: Sequence[Mapping[str, Any]]) -> Sequence[Candidate]: ...

    def assign(self, slots: Sequence[Slot], pool: Sequence[Candidate], *, seed: str, on: date, team_size: int,
               loads: Mapping[str, int] | None = None) -> Staffing: ...

    def redraw_seed(self, seed: str, number: int) -> str: ...

    def replace_inspectors(self, slot: Slot, pool: Sequence[Candidate], *, keep: Sequence[str],
                           removed: Sequence[str], loads: Mapping[str, int], seed: str, on: date,
                           team_size: int) -> Replacement: ...

    def replace_object(self, rows: Sequence[Row], *, stratum: str, already_drawn: set[str],
                       seed: str) -> str | None: ...

    def document(self, *, record: PublicDraw, rows: Sequence[Row], tasks: Sequence[Task],
                 pool: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The public draw document that anyone can re-compute (``ecoinspect verify-draw``): the public
        ``record`` (core/inspections/publication.py) with the inputs re-computing it needs, ``tasks`` being
        the draw's own (original) tasks."""
        ...

    # Protocol v2 (docs/draw-spec.md), the one new plans are frozen under.

    @property
    def protocol(self) -> int: ...

    def commit(self, *, plan: Plan, frozen_at: datetime, secret_commitment: str, announcement: Mapping[str, Any],
               inspection_date: date, members: Sequence[Member], ratios: Mapping[str, float],
               exclusions: Sequence[tuple[str, str]], divisions: Mapping[str, Sequence[str]],
               inspectors: Sequence[Mapping[str, Any]]) -> Commitment:
        """The commitment document of a freeze, its canonical bytes, hashes, stratum sizes and quotas."""
        ...

    def read_commitment(self, data: bytes) -> dict[str, Any]: ...

    def commitment_hash(self, document: Mapping[str, Any]) -> str: ...

    def seed_v2(self, *, commitment_hash: str, secret: str, public_value: str) -> str: ...

    def draw_v2(self, document: Mapping[str, Any], seed: str) -> DrawOutcome: ...

    def redraw_seed_v2(self, seed: str, number: int, public_value: str) -> str: ...

    def replace_v2(self, document: Mapping[str, Any], seed: str, done: Sequence[Mapping[str, Any]], *,
                   number: int, kind: str, target: str, staff_id: str | None, redraw_seed: str | None
                   ) -> ReplacementOutcome: ...

    def document_v2(self, *, commitment: Mapping[str, Any], secret: str, public_value: str, seed: str,
                    drawn: Mapping[str, Sequence[str]], teams: Mapping[str, Sequence[str]],
                    unstaffed: Mapping[str, str], redraws: Sequence[Mapping[str, Any]],
                    public: Mapping[str, Any]) -> dict[str, Any]: ...
