"""Inspector assignment after the object draw: teams of certified, non-conflicted, local staff.

Algorithm ``least-loaded-v1``: every eligible inspector gets a random tie-break number from
``PCG64(substream(seed, "inspectors"))`` in staff-id order. Tasks are staffed in draw order;
each takes the ``team_size`` eligible inspectors with the smallest
(visited this enterprise in this cycle, total load, tie-break) — so nobody is sent twice to
the same enterprise in a cycle where someone else can go, and the load stays balanced. The total
load is the inspector's open tasks of every kind in the snapshot (``open_load``) plus the tasks
given so far, so among inspectors who can serve the same tasks the spread of total load ends
within one wherever the pool allows (a busy inspector gets nothing until the others catch up). The first
member is the lead. A task without enough eligible inspectors is reported with the reason.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from scheduler.randomness import substream

ALGORITHM = "least-loaded-v1"


@dataclass(frozen=True)
class Candidate:
    """An inspector as frozen in the draw's inspector snapshot."""

    staff_id: str
    jurisdictions: tuple[str, ...]
    certificate_expires: date
    on_post: bool
    conflicts: frozenset[str] = frozenset()
    visited: frozenset[str] = frozenset()  # enterprises visited in the current cycle
    open_load: int = 0  # open tasks of every kind when the snapshot was taken (0 in snapshots before the field)

    def eligible_on(self, day: date) -> bool:
        return self.on_post and self.certificate_expires >= day


@dataclass(frozen=True)
class TaskSlot:
    """A drawn object to staff: its id and the jurisdiction path (division and its ancestors)."""

    object_id: str
    jurisdiction_path: tuple[str, ...]


@dataclass
class Assignment:
    teams: dict[str, list[str]] = field(default_factory=dict)  # object id → staff ids, lead first
    unstaffed: dict[str, str] = field(default_factory=dict)  # object id → reason
    loads: dict[str, int] = field(default_factory=dict)


def assign(tasks: Sequence[TaskSlot], candidates: Sequence[Candidate], *, seed_hex: str, on: date,
           team_size: int = 2, initial_loads: Mapping[str, int] | None = None) -> Assignment:
    """Staff ``tasks``; ``initial_loads`` (staff id → tasks already held) is used by replacements."""
    if team_size < 1:
        raise ValueError("team_size must be at least 1")
    pool = sorted((c for c in candidates if c.eligible_on(on)), key=lambda c: c.staff_id)
    rng = np.random.Generator(np.random.PCG64(substream(seed_hex, "inspectors")))
    tie = rng.random(len(pool)).tolist()
    load = [c.open_load + (initial_loads or {}).get(c.staff_id, 0) for c in pool]  # total load, open tasks too
    heaps: dict[str, list[tuple[int, float, int]]] = {}
    for index, candidate in enumerate(pool):
        for code in candidate.jurisdictions:
            heaps.setdefault(code, []).append((load[index], tie[index], index))
    for heap in heaps.values():
        heapq.heapify(heap)
    result = Assignment()
    for task in tasks:
        team = _pick(task, pool, heaps, load, team_size)
        if len(team) < team_size:
            result.unstaffed[task.object_id] = _reason(task, pool, on, len(team), team_size)
            for index in team:  # give back: a partial team is not sent
                _push(pool, heaps, load, index, tie)
            continue
        for index in team:
            load[index] += 1
            _push(pool, heaps, load, index, tie)
        result.teams[task.object_id] = [pool[i].staff_id for i in team]
    result.loads = {c.staff_id: load[i] for i, c in enumerate(pool)}
    return result


def _push(pool: Sequence[Candidate], heaps: Mapping[str, list[tuple[int, float, int]]], load: list[int],
          index: int, tie: list[float]) -> None:
    for code in pool[index].jurisdictions:
        heapq.heappush(heaps[code], (load[index], tie[index], index))


def _pick(task: TaskSlot, pool: Sequence[Candidate], heaps: Mapping[str, list[tuple[int, float, int]]],
          load: list[int], team_size: int) -> list[int]:
    """Pop valid entries in (load, tie) order across the task's heaps; visited ones only as a fallback."""
    sources = [heaps[code] for code in task.jurisdiction_path if code in heaps]
    taken: list[int] = []
    fallback: list[int] = []
    held: set[int] = set()
    popped: list[tuple[list[tuple[int, float, int]], tuple[int, float, int]]] = []
    while len(taken) < team_size:
        best = min((h for h in sources if h), key=lambda h: h[0], default=None)
        if best is None:
            break
        entry = heapq.heappop(best)
        entry_load, _tie, index = entry
        if entry_load != load[index]:
            continue  # stale: a newer entry with the current load exists
        popped.append((best, entry))
        if index in held:
            continue  # already considered through another of the task's jurisdictions
        held.add(index)
        candidate = pool[index]
        if task.object_id in candidate.conflicts:
            continue
        (fallback if task.object_id in candidate.visited else taken).append(index)
    taken += fallback[: team_size - len(taken)]
    for heap, entry in popped:  # everything not taken goes back unchanged
        if entry[2] not in taken:
            heapq.heappush(heap, entry)
    return taken


def _reason(task: TaskSlot, pool: Sequence[Candidate], on: date, found: int, team_size: int) -> str:
    local = [c for c in pool if set(c.jurisdictions) & set(task.jurisdiction_path)]
    recused = sum(1 for c in local if task.object_id in c.conflicts)
    return (f"only {found} eligible inspector(s) for {task.object_id}, {team_size} required "
            f"({len(local)} certified and on post in its jurisdictions on {on.isoformat()}, {recused} recused)")
