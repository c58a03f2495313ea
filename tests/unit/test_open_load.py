"""Balancing counts each inspector's open tasks of every kind (``open_load`` in the snapshot), not only this draw's."""

from __future__ import annotations

import random
from datetime import date, timedelta

from scheduler import assignment
from scheduler.assignment import Candidate, TaskSlot
from scheduler.engine import candidate_from_snapshot

DAY = date(2027, 1, 4)
XIAN = "610100"


def inspector(staff_id: str, open_load: int) -> Candidate:
    return Candidate(staff_id=staff_id, jurisdictions=(XIAN,), certificate_expires=DAY + timedelta(days=365),
                     on_post=True, open_load=open_load)


def tasks(count: int) -> list[TaskSlot]:
    return [TaskSlot(f"E{n:04d}", (XIAN, "610000")) for n in range(count)]


def totals(pool: list[Candidate], result: assignment.Assignment) -> dict[str, int]:
    given = {c.staff_id: 0 for c in pool}
    for team in result.teams.values():
        for staff in team:
            given[staff] += 1
    return {c.staff_id: c.open_load + given[c.staff_id] for c in pool}


def test_a_busy_inspector_gets_fewer_tasks_and_total_loads_end_within_one() -> None:
    pool = [inspector("A", 4), inspector("B", 0), inspector("C", 1), inspector("D", 0), inspector("E", 2)]
    result = assignment.assign(tasks(6), pool, seed_hex="ab" * 32, on=DAY, team_size=2)
    assert len(result.teams) == 6
    total = totals(pool, result)
    assert total["A"] == 4  # already the busiest: nothing new until the others catch up
    assert max(total.values()) - min(total.values()) <= 1, total
    assert result.loads == total


def test_sixty_open_tasks_keep_an_inspector_out_of_a_small_draw() -> None:
    pool = [inspector("BUSY", 60), *(inspector(f"S{n}", 0) for n in range(5))]
    result = assignment.assign(tasks(20), pool, seed_hex="cd" * 32, on=DAY, team_size=2)
    assert all("BUSY" not in team for team in result.teams.values())
    assert sorted(totals(pool, result).values()) == [8, 8, 8, 8, 8, 60]


def test_spread_of_total_load_stays_within_one_from_nearly_level_pools() -> None:
    rng = random.Random(13)
    for trial in range(200):
        pool = [inspector(f"I{n:02d}", rng.randint(0, 1)) for n in range(rng.randint(2, 9))]
        result = assignment.assign(tasks(rng.randint(1, 30)), pool, seed_hex=f"{trial:064x}", on=DAY,
                                   team_size=2)
        total = totals(pool, result)
        assert max(total.values()) - min(total.values()) <= 1, (trial, total)


def test_snapshots_without_open_load_read_as_zero() -> None:
    entry = {"staff_id": "X", "jurisdictions": [XIAN], "certificate_expires": "2030-01-01", "on_post": True,
             "conflicts": []}
    assert candidate_from_snapshot(entry).open_load == 0
    assert candidate_from_snapshot({**entry, "open_load": 7}).open_load == 7
