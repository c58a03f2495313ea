"""The app on a real socket for clients that speak HTTP themselves (tus clients, Chromium): uvicorn in a thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import uvicorn
from secantus import SecantusDBServer
from starlette.routing import BaseRoute

from api.app import create_app
from core.config import Settings
from core.db import Database

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def live_settings(db_server: SecantusDBServer, **overrides: Any) -> Settings:
    """Settings of a server on the session's database server, with a database of its own."""
    return Settings(**{"MONGODB_URI": db_server.uri}, database_name=f"live_{uuid.uuid4().hex[:10]}",
                    secret_key="test-secret-" + "x" * 32, login_delay_max_seconds=0.01, log_json=False,
                    password_hash_profile="fast", **overrides)


def on_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` on the server's database from synchronous test code: its own client, event loop and thread
    (Playwright's sync API keeps a loop running in the test's thread)."""

    async def run() -> T:
        database = Database(str(settings.mongodb_uri), settings.database_name)
        try:
            return await work(database)
        finally:
            await database.client.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


@contextlib.contextmanager
def live_server(settings: Settings, extra_routes: list[BaseRoute] | None = None) -> Iterator[str]:
    """The app as ``ecoinspect serve`` builds it (plus ``extra_routes``, test pages) at the yielded base URL."""
    asgi = create_app(settings)
    asgi.app.router.routes.extend(extra_routes or [])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        on_database(settings, lambda database: database.client.drop_database(settings.database_name))
