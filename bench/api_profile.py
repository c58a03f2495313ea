"""Where a GraphQL request of bench/api.py spends its time next to its REST peer: cProfile, grouped by package.

    .venv/bin/python bench/api_profile.py [--requests 300] [--top 15]

The app (demo data, 5,000 enterprises) and the REST peer (bench/_rest_peer.py) run in this process on one
embedded SecantusDB (or ``MONGODB_URI``), each called over httpx's ASGI transport, so no socket or uvicorn is
in the picture. After a warm-up, ``--requests`` calls of each are profiled separately: the app with
``{ viewer { username } enterprises(first: 10) { edges { node { creditCode name } } } }``, the peer with
``GET /enterprises?first=10``. Own time (``tottime``) per request is summed by where the function lives:
graphql-core, strawberry, pydantic, pymongo and bson, starlette, the project's api/ and core/, the event loop
and the transport, waiting in epoll, socket calls, the rest (functions written in C go by their name). The
top functions of the app by own time follow. Profiling slows both paths; read the differences, not the
milliseconds. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import secrets
import time
from pathlib import Path
from typing import Any

from _common import ROOT, database_name, database_server, emit, log, machine, temp_dir
from _rest_peer import rest_app

QUERY = "{ viewer { username } enterprises(first: 10) { edges { node { creditCode name } } } }"
GROUPS = (  # first match wins
    ("graphql-core", "/graphql/"), ("strawberry", "/strawberry/"), ("pydantic", "/pydantic"),
    ("pymongo+bson", "/pymongo/"), ("pymongo+bson", "/bson/"), ("starlette", "/starlette/"),
    ("project api/", str(ROOT / "api")), ("project core/", str(ROOT / "core")), ("jwt", "/jwt/"),
    ("event loop, transport", "/asyncio/"), ("event loop, transport", "/httpx/"),
    ("event loop, transport", "/httpcore/"), ("event loop, transport", "/anyio/"),
    ("event loop, transport", "selectors"), ("event loop, transport", "/asgi_lifespan/"),
)


BUILTINS = (  # functions written in C (cProfile's file "~"), by their name; first match wins
    ("waiting in epoll (database, client)", "select.epoll"), ("socket calls", "_socket.socket"),
    ("pydantic", "pydantic_core"), ("pymongo+bson", "bson."), ("pymongo+bson", "pymongo"),
)


def group_of(filename: str, function: str = "") -> str:
    if filename == "~":
        return next((name for name, marker in BUILTINS if marker in function), "other C built-ins")
    return next((name for name, marker in GROUPS if marker in filename), "other")


def by_group(stats: pstats.Stats, requests: int) -> dict[str, float]:
    totals: dict[str, float] = collections.defaultdict(float)
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[group_of(filename, name)] += tottime
    return {k: round(v / requests * 1000, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


async def profile(tmp: Path, requests: int, top: int) -> dict[str, Any]:
    import httpx
    from asgi_lifespan import LifespanManager

    from api.app import create_app, prepare
    from core.config import Settings
    from core.db import Database
    from core.demo.loader import load_demo
    from core.demo.users import DEMO_PASSWORD

    figures: dict[str, Any] = {"requests": requests}
    with database_server(tmp / "profile") as server:
        name = database_name("api_profile")
        settings = Settings(**{"MONGODB_URI": server.uri}, database_name=name, data_dir=tmp / "profile",
                            secret_key=secrets.token_urlsafe(48), log_level="WARNING", log_json=False)
        database = Database(server.uri, name)
        try:
            await prepare(database)
            log("loading 5,000 demo enterprises in-process")
            await load_demo(database, settings, enterprises=5000)
            app = create_app(settings, database=database)
            async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60) as manager, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://app") as gql, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=rest_app(settings)),
                                      base_url="http://rest") as rest:
                token = (await gql.post("/auth/token", data={"username": "supervisor1", "password": DEMO_PASSWORD}
                                        )).json()["access_token"]
                headers = {"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"}
                await app.app.state.services.audit.flush()

                async def call_app() -> httpx.Response:
                    return await gql.post("/graphql", json={"query": QUERY}, headers=headers)

                async def call_rest() -> httpx.Response:
                    return await rest.get("/enterprises", params={"first": 10}, headers=headers)

                if (await call_app()).json() != (await call_rest()).json():
                    raise SystemExit("the REST peer answers differently from the app")
                for _ in range(50):
                    await call_app()
                    await call_rest()
                for label, call in (("graphql", call_app), ("rest_peer", call_rest)):
                    profiler = cProfile.Profile()
                    started = time.perf_counter()
                    profiler.enable()
                    for _ in range(requests):
                        answer = await call()
                        if answer.status_code != 200:
                            raise SystemExit(f"{label}: {answer.status_code} {answer.text[:300]}")
                    profiler.disable()
                    wall = (time.perf_counter() - started) / requests * 1000
                    stats = pstats.Stats(profiler)
                    figures[f"{label}_profiled_ms_per_request"] = round(wall, 3)
                    figures[f"{label}_own_ms_per_request_by_group"] = by_group(stats, requests)
                    figures[f"{label}_function_calls_per_request"] = round(
                        stats.total_calls / requests)  # type: ignore[attr-defined]
                    log(f"{label}: {wall:.2f} ms per request under the profiler; own time by group (ms): "
                        f"{figures[f'{label}_own_ms_per_request_by_group']}")
                    if label == "graphql":
                        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
                        figures["graphql_top_functions"] = [
                            {"function": f"{Path(f).name}:{line}:{fn}", "group": group_of(f, fn),
                             "own_ms_per_request": round(v[2] / requests * 1000, 3), "calls_per_request":
                             round(v[1] / requests, 1)} for (f, line, fn), v in rows]
        finally:
            await database.client.drop_database(name)
            await database.client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="profiled requests to each (default 300)")
    parser.add_argument("--top", type=int, default=15, help="functions of the GraphQL path to list")
    args = parser.parse_args()
    figures: dict[str, Any] = {"benchmark": "api_profile", **machine(), "query": QUERY}
    with temp_dir("ecoinspect-bench-api-profile-") as tmp:
        figures.update(asyncio.run(profile(tmp, args.requests, args.top)))
    emit(figures)


if __name__ == "__main__":
    main()
