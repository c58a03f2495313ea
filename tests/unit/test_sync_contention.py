"""Per-key turns for sync pushes: exclusive per key, deadlock-free, bounded waits, nothing left behind."""

from __future__ import annotations

import asyncio

import pytest

from core.fieldwork.contention import KeyedLocks, SyncBusy, TurnTimeout, pause


async def test_one_holder_per_key_and_the_table_empties() -> None:
    locks = KeyedLocks()
    inside: list[str] = []
    overlap: list[tuple[str, str]] = []
    # Opposite orders of the same keys would deadlock if the locks were not taken sorted.
    wants = {"a": ["t1", "t2"], "b": ["t2", "t1"], "c": ["t3"], "d": ["t1"]}

    async def holder(name: str, keys: list[str]) -> None:
        async with locks.hold(keys):
            overlap.extend((name, other) for other in inside if set(keys) & set(wants[other]))
            inside.append(name)
            await asyncio.sleep(0.001)
            inside.remove(name)

    await asyncio.wait_for(asyncio.gather(*(holder(n, k) for n, k in wants.items() for _ in range(5))),
                           timeout=30)  # a hang detector only
    assert overlap == []
    assert locks._locks == {}


async def test_a_wait_past_its_deadline_gives_up_and_leaves_nothing() -> None:
    locks = KeyedLocks()
    loop = asyncio.get_running_loop()
    async with locks.hold(["t1"]):
        with pytest.raises(TurnTimeout):
            async with locks.hold(["t0", "t1"], deadline=loop.time() + 0.01):
                pytest.fail("entered while another push held the task")
        assert set(locks._locks) == {"t1"}  # t0 was given back when t1 could not be had
    assert locks._locks == {}


def test_busy_is_coded_and_says_when_to_retry() -> None:
    busy = SyncBusy("task t1", 1)
    assert (busy.code, busy.field, busy.retry_after_s) == ("SYNC_BUSY", "ops", 1)
    assert "retry in 1 s" in busy.message and "nothing was written" in busy.message
    assert all(0 <= pause(n) <= 0.25 for n in range(1, 40))
