"""Inspector assignment (least-loaded-v1): certified, local, non-conflicted, balanced teams."""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from scheduler import assignment
from scheduler.assignment import Assignment, Candidate, TaskSlot

DAY = date(2027, 1, 4)
PROVINCE = "610000"
CITIES = ("610100", "610200", "610300", "610400", "610500", "610600", "610700", "610800", "610900", "611000",
          "610403", "611100", "610581")
XIAN, BAOJI = "610100", "610300"


def seed_for(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def inspector(staff_id: str, *jurisdictions: str, expires: date = DAY + timedelta(days=365), on_post: bool = True,
              conflicts: Sequence[str] = (), visited: Sequence[str] = ()) -> Candidate:
    return Candidate(staff_id=staff_id, jurisdictions=jurisdictions or (XIAN,), certificate_expires=expires,
                     on_post=on_post, conflicts=frozenset(conflicts), visited=frozenset(visited))


def task(object_id: str, city: str = XIAN) -> TaskSlot:
    return TaskSlot(object_id, (city, PROVINCE))


def run(tasks: Sequence[TaskSlot], candidates: Sequence[Candidate], *, seed: str = "a" * 64, team_size: int = 2,
        on: date = DAY) -> Assignment:
    result = assignment.assign(tasks, candidates, seed_hex=seed, on=on, team_size=team_size)
    check_invariants(tasks, candidates, result, team_size=team_size, on=on)
    return result


# --------------------------------------------------------------------------- the oracle


def check_invariants(tasks: Sequence[TaskSlot], candidates: Sequence[Candidate], result: Assignment, *,
                     team_size: int, on: date) -> None:
    """Every rule the assignment promises, checked from its inputs and output alone."""
    by_id = {c.staff_id: c for c in candidates}
    eligible = {c.staff_id for c in candidates if c.on_post and c.certificate_expires >= on}
    task_ids = [t.object_id for t in tasks]
    assert set(result.teams).isdisjoint(result.unstaffed)
    assert set(result.teams) | set(result.unstaffed) == set(task_ids)
    assert result.loads == {
        staff: sum(staff in team for team in result.teams.values()) for staff in eligible}
    load: Counter[str] = Counter()
    for slot in tasks:
        local = [s for s in sorted(eligible) if set(by_id[s].jurisdictions) & set(slot.jurisdiction_path)]
        available = [s for s in local if slot.object_id not in by_id[s].conflicts]
        fresh = [s for s in available if slot.object_id not in by_id[s].visited]
        team = result.teams.get(slot.object_id)
        if team is None:
            # Unstaffed only when too few could go; no partial team, no load.
            assert len(available) < team_size, (slot, available)
            reason = result.unstaffed[slot.object_id]
            recused = len(local) - len(available)
            assert f"only {len(available)} eligible" in reason, reason
            assert f"{team_size} required" in reason and f"{len(local)} certified and on post" in reason, reason
            assert re.search(rf"\b{recused} recused\b", reason), reason
            continue
        assert len(available) >= team_size
        assert len(team) == team_size == len(set(team)), team
        for staff in team:
            assert staff in eligible, (slot, staff)  # certified on the day and on post
            assert set(by_id[staff].jurisdictions) & set(slot.jurisdiction_path), (slot, staff)
            assert slot.object_id not in by_id[staff].conflicts, (slot, staff)  # recusal
        visited = [s for s in team if s not in fresh]
        if len(fresh) >= team_size:
            assert not visited, (slot, team)  # avoidable, so avoided
        else:
            assert set(fresh) <= set(team), (slot, team, fresh)  # everyone fresh goes first
        # Members are listed fresh first, then by load before this task: the lead is the first.
        keys = [(s in visited, load[s]) for s in team]
        assert keys == sorted(keys), (slot, team, keys)
        # Least loaded: nobody left out of the same group had a smaller load.
        for group in (fresh, [s for s in available if s not in fresh]):
            chosen = [load[s] for s in team if s in group]
            others = [load[s] for s in group if s not in team]
            if chosen and others and len(chosen) < len(group):
                assert max(chosen) <= min(others), (slot, team)
        for staff in team:
            load[staff] += 1


# --------------------------------------------------------------------------- rules


def test_every_team_has_team_size_distinct_inspectors_lead_first() -> None:
    staff = [inspector(f"S{i:02d}") for i in range(6)]
    for team_size in (1, 2, 3):
        result = run([task(f"T{i}") for i in range(10)], staff, team_size=team_size)
        assert len(result.teams) == 10 and not result.unstaffed
        assert all(len(set(team)) == team_size for team in result.teams.values())


def test_only_certified_on_post_inspectors_are_chosen() -> None:
    staff = [inspector("A", expires=DAY - timedelta(days=1)),  # expired the day before
             inspector("B", on_post=False),
             inspector("C", expires=DAY),  # valid through the inspection day
             inspector("D"), inspector("E")]
    result = run([task(f"T{i}") for i in range(12)], staff)
    members = {s for team in result.teams.values() for s in team}
    assert members == {"C", "D", "E"}
    assert set(result.loads) == {"C", "D", "E"}
    assert sum(result.loads.values()) == 24


def test_certificates_are_judged_on_the_inspection_day() -> None:
    staff = [inspector("A", expires=DAY), inspector("B", expires=DAY), inspector("C", expires=DAY + timedelta(1))]
    assert len(run([task("T")], staff, on=DAY).teams) == 1
    later = run([task("T")], staff, on=DAY + timedelta(days=1))
    assert "T" in later.unstaffed and "only 1 eligible" in later.unstaffed["T"]


def test_inspectors_serve_only_their_jurisdictions() -> None:
    staff = [inspector("X1", XIAN), inspector("X2", XIAN), inspector("B1", BAOJI), inspector("B2", BAOJI)]
    tasks = [task(f"X{i}", XIAN) for i in range(5)] + [task(f"B{i}", BAOJI) for i in range(5)]
    result = run(tasks, staff)
    for object_id, team in result.teams.items():
        assert {s[0] for s in team} == {object_id[0]}
    assert len(result.teams) == 10


def test_a_province_inspector_serves_any_city() -> None:
    staff = [inspector("P1", PROVINCE), inspector("P2", PROVINCE), inspector("X1", XIAN)]
    tasks = [task(f"T{city}", city) for city in CITIES if city != XIAN] + [task(f"T{XIAN}", XIAN)]
    result = run(tasks, staff)
    assert len(result.teams) == len(CITIES)
    assert sorted(result.teams[f"T{BAOJI}"]) == ["P1", "P2"]
    assert result.teams[f"T{XIAN}"][0] == "X1"  # the only one not already busy in the other cities
    assert result.loads == {"P1": 13, "P2": 12, "X1": 1} or result.loads == {"P1": 12, "P2": 13, "X1": 1}


def test_a_city_inspector_does_not_serve_a_province_level_task() -> None:
    staff = [inspector("X1", XIAN), inspector("X2", XIAN)]
    result = run([TaskSlot("T", (PROVINCE,))], staff)
    assert result.teams == {} and "0 certified and on post" in result.unstaffed["T"]


def test_recused_inspectors_are_never_chosen() -> None:
    staff = [inspector("A", conflicts=["T0", "T1"]), inspector("B"), inspector("C"), inspector("D", conflicts=["T1"])]
    result = run([task(f"T{i}") for i in range(6)], staff)
    assert "A" not in result.teams["T0"] and "A" not in result.teams["T1"] and "D" not in result.teams["T1"]
    assert sorted(result.teams["T1"]) == ["B", "C"]


def test_recusal_may_leave_a_task_unstaffed() -> None:
    staff = [inspector("A", conflicts=["T1"]), inspector("B", conflicts=["T1"]), inspector("C"),
             inspector("P", PROVINCE, conflicts=["T1"])]
    result = run([task("T0"), task("T1"), task("T2")], staff)
    assert "T1" not in result.teams
    reason = result.unstaffed["T1"]
    assert "only 1 eligible inspector(s) for T1, 2 required" in reason
    assert "4 certified and on post" in reason and "3 recused" in reason
    assert set(result.teams) == {"T0", "T2"}


def test_unstaffed_tasks_get_no_partial_team_and_no_load() -> None:
    staff = [inspector("A", conflicts=["T0"]), inspector("B", conflicts=["T0"]), inspector("C")]
    result = run([task("T0")], staff)
    assert result.teams == {} and result.loads == {"A": 0, "B": 0, "C": 0}
    # The inspector given back stays available and is still the least loaded next time.
    result = run([task("T0"), task("T1"), task("T2"), task("T3")], staff)
    assert "T0" in result.unstaffed and result.loads == {"A": 2, "B": 2, "C": 2}


def test_nobody_eligible() -> None:
    result = run([task("T0"), task("T1")], [inspector("A", on_post=False)])
    assert result.teams == {} and result.loads == {}
    assert "only 0 eligible" in result.unstaffed["T0"] and "0 recused" in result.unstaffed["T0"]
    assert run([], [inspector("A")]).loads == {"A": 0}


def test_visited_inspectors_are_avoided_where_avoidable() -> None:
    # V is recused from Y1 and Y2, so it is the least loaded when X comes; it visited X this cycle.
    staff = [inspector("A"), inspector("B"), inspector("V", conflicts=["Y1", "Y2"], visited=["X", "Z"])]
    result = run([task("Y1"), task("Y2"), task("X")], staff)
    assert result.loads["V"] == 0 and sorted(result.teams["X"]) == ["A", "B"]


def test_visited_inspectors_are_used_when_they_are_the_only_option() -> None:
    staff = [inspector("A", conflicts=["Z"]), inspector("B"), inspector("V", conflicts=["Y1", "Y2"], visited=["Z"])]
    result = run([task("Y1"), task("Y2"), task("Z")], staff)
    assert result.teams["Z"] == ["B", "V"]  # the fresh one leads, even though V is less loaded
    only_visited = run([task("Z")], [inspector("V1", visited=["Z"]), inspector("V2", visited=["Z"])])
    assert sorted(only_visited.teams["Z"]) == ["V1", "V2"]


def test_lead_is_the_least_loaded_member() -> None:
    staff = [inspector("A"), inspector("B"), inspector("C", conflicts=["T0", "T1", "T2"])]
    result = run([task("T0"), task("T1"), task("T2"), task("T3")], staff)
    assert result.teams["T3"][0] == "C"  # load 0 against 3 and 3


def test_team_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="team_size"):
        assignment.assign([task("T")], [inspector("A")], seed_hex="a" * 64, on=DAY, team_size=0)


def test_algorithm_name_is_pinned() -> None:
    assert assignment.ALGORITHM == "least-loaded-v1"


# --------------------------------------------------------------------------- balance and determinism


@pytest.mark.parametrize(("inspectors", "tasks", "team_size"), [
    (7, 20, 2), (7, 20, 3), (45, 100, 2), (45, 100, 3), (5, 13, 2), (10, 333, 3), (3, 10, 3), (200, 50, 2),
])
def test_workload_is_balanced_over_a_common_candidate_set(inspectors: int, tasks: int, team_size: int) -> None:
    staff = [inspector(f"S{i:03d}", PROVINCE) for i in range(inspectors)]
    slots = [task(f"T{i:04d}", CITIES[i % len(CITIES)]) for i in range(tasks)]
    result = run(slots, staff, team_size=team_size, seed=seed_for(f"balance-{inspectors}-{tasks}"))
    assert len(result.teams) == tasks
    assert sum(result.loads.values()) == tasks * team_size
    assert max(result.loads.values()) - min(result.loads.values()) <= 1, result.loads


def test_workload_is_balanced_within_each_city() -> None:
    staff = [inspector(f"{city}-{i}", city) for city in (XIAN, BAOJI) for i in range(5)]
    slots = [task(f"T{i:03d}", XIAN if i % 3 else BAOJI) for i in range(60)]
    result = run(slots, staff, team_size=2)
    for city in (XIAN, BAOJI):
        loads = [n for s, n in result.loads.items() if s.startswith(city)]
        assert max(loads) - min(loads) <= 1, loads
    assert sum(n for s, n in result.loads.items() if s.startswith(XIAN)) == 80


def test_deterministic_for_a_seed_and_different_for_another() -> None:
    staff = [inspector(f"S{i:02d}", PROVINCE if i % 4 == 0 else XIAN, conflicts=[f"T{i}"], visited=[f"T{i + 1}"])
             for i in range(20)]
    slots = [task(f"T{i}") for i in range(15)]
    first = run(slots, staff, seed=seed_for("one"))
    again = run(slots, list(reversed(staff)), seed=seed_for("one"))  # candidate order does not matter
    assert (first.teams, first.unstaffed, first.loads) == (again.teams, again.unstaffed, again.loads)
    other = run(slots, staff, seed=seed_for("two"))
    assert other.teams != first.teams


def test_the_seed_chooses_among_equally_loaded_inspectors() -> None:
    staff = [inspector(f"S{i}") for i in range(10)]
    leads = {run([task("T")], staff, seed=seed_for(f"lead-{k}")).teams["T"][0] for k in range(60)}
    assert len(leads) >= 7  # each of 10 is equally likely; all but 3 missing in 60 tries is ~1e-20


# --------------------------------------------------------------------------- property-style


def random_instance(rng: random.Random) -> tuple[list[TaskSlot], list[Candidate], int]:
    cities = rng.sample(CITIES, rng.randint(1, 3))
    tasks = []
    for i in range(rng.randint(0, 14)):
        if rng.random() < 0.1:
            tasks.append(TaskSlot(f"T{i}", (PROVINCE,)))
        else:
            tasks.append(task(f"T{i}", rng.choice(cities)))
    ids = [t.object_id for t in tasks]
    staff = []
    for i in range(rng.randint(0, 12)):
        jurisdictions = (PROVINCE,) if rng.random() < 0.2 else tuple(rng.sample(cities, rng.randint(1, len(cities))))
        staff.append(inspector(
            f"S{rng.randrange(10**6):06d}-{i}", *jurisdictions,
            expires=DAY + timedelta(days=rng.randint(-3, 30)), on_post=rng.random() < 0.85,
            conflicts=[t for t in ids if rng.random() < 0.15], visited=[t for t in ids if rng.random() < 0.25]))
    return tasks, staff, rng.choice((1, 2, 2, 3))


@pytest.mark.parametrize("block", range(4))
def test_random_instances_keep_every_invariant(block: int) -> None:
    outcomes = Counter()
    for k in range(block * 150, (block + 1) * 150):
        rng = random.Random(k)
        tasks, staff, team_size = random_instance(rng)
        seed = seed_for(f"prop-{k}")
        result = run(tasks, staff, seed=seed, team_size=team_size)
        shuffled = list(staff)
        rng.shuffle(shuffled)
        again = assignment.assign(tasks, shuffled, seed_hex=seed, on=DAY, team_size=team_size)
        assert (again.teams, again.unstaffed, again.loads) == (result.teams, result.unstaffed, result.loads)
        outcomes["staffed"] += len(result.teams)
        outcomes["unstaffed"] += len(result.unstaffed)
        outcomes["visited"] += sum(t in c.visited for t, team in result.teams.items() for c in staff
                                   if c.staff_id in team)
    # The instances exercise every branch, not only the easy one.
    assert outcomes["staffed"] > 100 and outcomes["unstaffed"] > 50 and outcomes["visited"] > 5, outcomes


def test_random_larger_instances_keep_every_invariant() -> None:
    for k in range(20):
        rng = random.Random(1000 + k)
        staff = [inspector(f"S{i:04d}", *((PROVINCE,) if rng.random() < 0.1 else (rng.choice(CITIES[:4]),)),
                           expires=DAY + timedelta(days=rng.randint(-20, 200)), on_post=rng.random() < 0.9,
                           conflicts=[f"T{rng.randrange(300)}" for _ in range(3)],
                           visited=[f"T{rng.randrange(300)}" for _ in range(2)])
                 for i in range(rng.randint(10, 80))]
        slots = [task(f"T{i}", rng.choice(CITIES[:4])) for i in range(rng.randint(50, 300))]
        run(slots, staff, seed=seed_for(f"large-{k}"), team_size=rng.choice((2, 3)))
