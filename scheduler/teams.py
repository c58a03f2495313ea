"""Inspector assignment of protocol v2: least-loaded teams, ties broken by SHA-256, coded reasons when unstaffed.

Pure and stdlib-only (docs/draw-spec.md §7). Tasks are staffed in credit-code order. For a task, the
*local* inspectors are those of the committed snapshot who are on post, whose certificate is valid on the
committed inspection date (``certificate_expires ≥ date``, ISO dates compared as strings) and who serve a
division on the task's jurisdiction path; the *free* ones are the local ones without a declared conflict
with it. The team is the ``team_size`` free inspectors with the smallest
``(visited the enterprise this cycle, open load + tasks given so far, SHA-256(seed ‖ n ‖ "inspector:" ‖
staff id), staff id)``; the first is the lead. With fewer free inspectors than the team size the task is
unstaffed with a code, never dropped.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ALGORITHM = "least-loaded-sha256-v2"


class Unstaffed(StrEnum):
    """Why a task has no team (published as the code; the counts behind it are re-computable)."""

    NO_LOCAL_INSPECTOR = "NO_LOCAL_INSPECTOR"  # nobody eligible serves the enterprise's jurisdiction
    TOO_FEW_LOCAL = "TOO_FEW_LOCAL"  # fewer eligible local inspectors than the team size
    RECUSALS = "RECUSALS"  # enough local inspectors, too few once those with a conflict are left out


@dataclass(frozen=True)
class Inspector:
    """An inspector as committed in the snapshot."""

    staff_id: str
    jurisdictions: tuple[str, ...]
    certificate_expires: str  # ISO date
    on_post: bool
    conflicts: frozenset[str] = frozenset()
    visited: frozenset[str] = frozenset()
    open_load: int = 0  # open tasks of every kind held at freeze

    def eligible_on(self, day: str) -> bool:
        return self.on_post and self.certificate_expires >= day

    @classmethod
    def from_snapshot(cls, entry: Mapping[str, Any]) -> Inspector:
        return cls(staff_id=str(entry["staff_id"]), jurisdictions=tuple(entry["jurisdictions"]),
                   certificate_expires=str(entry["certificate_expires"]), on_post=bool(entry["on_post"]),
                   conflicts=frozenset(entry.get("conflicts", ())), visited=frozenset(entry.get("visited", ())),
                   open_load=int(entry.get("open_load", 0)))


@dataclass
class Staffing:
    teams: dict[str, list[str]] = field(default_factory=dict)  # credit code → staff ids, lead first
    unstaffed: dict[str, str] = field(default_factory=dict)  # credit code → Unstaffed code
    loads: dict[str, int] = field(default_factory=dict)  # staff id → open load + tasks given


def tie(seed: bytes, number: int, staff_id: str) -> bytes:
    return hashlib.sha256(seed + number.to_bytes(4, "big") + b"inspector:" + staff_id.encode("utf-8")).digest()


def assign(tasks: Mapping[str, Sequence[str]], pool: Sequence[Inspector], *, seed: bytes, number: int, day: str,
           team_size: int, held: Mapping[str, int] | None = None, exclude: Sequence[str] = ()) -> Staffing:
    """Staff ``tasks`` (credit code → jurisdiction path). A load is the committed open load plus ``held`` (a
    replacement passes the plan's active tasks each inspector holds); ``exclude`` are never drawn (a
    replacement's kept and removed members)."""
    if team_size < 1:
        raise ValueError("team_size must be at least 1")
    barred = set(exclude)
    eligible = [i for i in pool if i.eligible_on(day)]
    by_division: dict[str, list[Inspector]] = {}
    for inspector in eligible:
        for code in inspector.jurisdictions:
            by_division.setdefault(code, []).append(inspector)
    load = {i.staff_id: i.open_load + (held or {}).get(i.staff_id, 0) for i in eligible}
    ties = {i.staff_id: tie(seed, number, i.staff_id) for i in eligible}
    result = Staffing()
    for code in sorted(tasks):
        local = {i.staff_id: i for division in tasks[code] for i in by_division.get(division, ())
                 if i.staff_id not in barred}
        free = [i for i in local.values() if code not in i.conflicts]
        if len(free) < team_size:
            result.unstaffed[code] = (Unstaffed.NO_LOCAL_INSPECTOR if not local else Unstaffed.TOO_FEW_LOCAL
                                      if len(local) < team_size else Unstaffed.RECUSALS).value
            continue
        team = heapq.nsmallest(team_size, free, key=lambda i: (code in i.visited, load[i.staff_id],
                                                               ties[i.staff_id], i.staff_id))
        for member in team:
            load[member.staff_id] += 1
        result.teams[code] = [member.staff_id for member in team]
    result.loads = dict(sorted(load.items()))
    return result
