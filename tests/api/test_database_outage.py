"""With the database unreachable the API answers at once, coded UNAVAILABLE with Retry-After, and recovers.

The app runs on an embedded database of its own, stopped and started again by the test. Time bounds
only detect a hang (the issue: 1 s for /readyz, and not the 30 s the requests used to wait), kept
several times wider for a loaded 2-core machine.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.app import create_app
from core.config import Settings
from core.db import Database, EmbeddedServer
from core.demo import generator
from core.registry.models import Matter
from core.registry.repository import MatterRepository

MATTERS = "{ matters { code } }"  # public, answered from the database


@pytest.fixture
async def outage(tmp_path: Path, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, EmbeddedServer]]:
    server = EmbeddedServer(tmp_path / "data", timeout_s=60)
    database = Database(server.start(), "outage", embedded=server, server_selection_timeout_ms=500)
    try:
        app = create_app(settings, database=database)
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
            await MatterRepository(database).upsert_many([Matter.model_validate(generator.matters()[0])])
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield http, server
    finally:
        await database.close()


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def test_requests_fail_fast_with_unavailable_and_recover(
    outage: tuple[httpx.AsyncClient, EmbeddedServer],
) -> None:
    http, server = outage
    assert (await http.get("/readyz")).status_code == 200
    assert (await http.post("/graphql", json={"query": MATTERS})).json()["data"]["matters"]

    server.stop()  # unreachable (a stop on purpose: the supervisor leaves it down)
    ready, took = await _timed(http.get("/readyz"))
    assert ready.status_code == 503 and ready.json()["code"] == "UNAVAILABLE"
    assert ready.headers["retry-after"] == "2"
    assert took < 3

    graphql, took = await _timed(http.post("/graphql", json={"query": MATTERS}))
    assert graphql.status_code == 200, graphql.text
    [error] = graphql.json()["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE" and error["path"] == ["matters"]
    assert "127.0.0.1" not in error["message"]  # the driver's message (hosts, ports) stays inside
    assert graphql.headers["retry-after"] == "2"
    assert took < 10

    for path in ("/public", "/public/draws/some-draw.json", "/public/penalties.json"):
        page, took = await _timed(http.get(path))
        assert page.status_code == 503, (path, page.text)
        assert page.json()["code"] == "UNAVAILABLE" and page.headers["retry-after"] == "2"
        assert took < 10

    login, took = await _timed(http.post("/auth/token", data={"username": "someone", "password": "x" * 12}))
    assert login.status_code == 503 and login.json()["code"] == "UNAVAILABLE", login.text
    assert took < 10

    server.start()  # the same port: the client reconnects by itself
    deadline = time.monotonic() + 30
    while (await http.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline
    assert (await http.post("/graphql", json={"query": MATTERS})).json()["data"]["matters"]
    assert (await http.get("/public")).status_code == 200
