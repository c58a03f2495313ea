"""The supervisor brings a crashed embedded database back on its port; meanwhile the client fails fast, coded.

Time bounds here only detect a hang, and are several times the issue's figures (1 s to say "not ready",
10 s to serve again) for a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psutil
import pytest
from pymongo import WriteConcern

from core.db import Database, EmbeddedServer, is_unavailable
from core.supervision import Backoff, Supervisor

FAST = Backoff(first_s=0.2, max_s=1.0)


@pytest.fixture
async def supervised(tmp_path: Path) -> AsyncIterator[tuple[Database, Supervisor]]:
    server = EmbeddedServer(tmp_path / "data", timeout_s=60)
    database = Database(server.start(), "supervised", embedded=server, server_selection_timeout_ms=1000)
    supervisor = Supervisor(server, poll_s=0.05, backoff=FAST)
    supervisor.start()
    try:
        yield database, supervisor
    finally:
        await supervisor.stop()
        await database.close()


async def _crash(server: EmbeddedServer) -> psutil.Process:
    assert server.pid is not None
    child = psutil.Process(server.pid)
    child.kill()
    return child


async def _eventually(predicate: Callable[[], bool], bound_s: float) -> None:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < bound_s, f"not so after {bound_s} s"
        await asyncio.sleep(0.01)


async def _until_ready(database: Database, bound_s: float) -> float:
    started = time.monotonic()
    while not await database.ping(timeout_s=1):
        assert time.monotonic() - started < bound_s, f"the database was not back within {bound_s} s"
        await asyncio.sleep(0.05)  # a ping that knows the answer does not yield to the supervisor
    return time.monotonic() - started


async def test_a_crashed_database_is_restarted_on_its_port(supervised: tuple[Database, Supervisor]) -> None:
    database, supervisor = supervised
    server = database.embedded
    assert server is not None
    uri, port = server.uri, server.port
    await database["things"].with_options(write_concern=WriteConcern(j=True)).insert_one({"_id": "kept"})
    child = await _crash(server)

    started = time.monotonic()
    assert await database.ping(timeout_s=1) is False
    assert time.monotonic() - started < 3, "ping must give up within its timeout"
    await _until_ready(database, 30)
    assert supervisor.restarts == 1
    assert server.uri == uri and server.port == port and server.pid != child.pid
    assert await database["things"].find_one({"_id": "kept"}) == {"_id": "kept"}


async def _crash_and_hold_the_port(server: EmbeddedServer) -> socket.socket:
    """Kill the database and listen on its port, so that restarts fail until the socket is closed."""
    for _ in range(5):
        await _crash(server)
        await _eventually(lambda: not server.running, 30)  # polling reaps it: the port is free
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", server.port))
            holder.listen()
            return holder
        except OSError:  # restarted already: crash it again
            holder.close()
            await _eventually(lambda: server.running, 30)
    raise AssertionError("could not take the database port")


async def test_requests_during_the_outage_fail_fast_with_an_unavailable_error(
    supervised: tuple[Database, Supervisor],
) -> None:
    database, supervisor = supervised
    server = database.embedded
    assert server is not None
    holder = await _crash_and_hold_the_port(server)
    try:
        started = time.monotonic()
        with pytest.raises(Exception) as info:  # noqa: PT011 - which pymongo error it is does not matter
            await database["things"].find_one({})
        assert is_unavailable(info.value), repr(info.value)
        assert time.monotonic() - started < 10, "must fail after the 1 s selection timeout, not 30 s"
        while supervisor.failures < 2:  # restarts fail while the port is taken, and are tried again
            assert time.monotonic() - started < 30
            await asyncio.sleep(0.05)
        assert not await database.ping(timeout_s=0.5)
    finally:
        holder.close()
    await _until_ready(database, 30)
    assert supervisor.restarts >= 1


async def test_a_database_stopped_on_purpose_is_not_restarted(supervised: tuple[Database, Supervisor]) -> None:
    database, supervisor = supervised
    server = database.embedded
    assert server is not None
    server.stop()
    assert not server.crashed
    await asyncio.sleep(0.5)  # several supervisor rounds
    assert not server.running and supervisor.restarts == 0


def test_backoff_grows_to_its_cap() -> None:
    delays = [Backoff().delay(attempt) for attempt in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
