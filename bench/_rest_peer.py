"""The REST peer of bench/api.py: the enterprise page of its GraphQL query as one plain Starlette route over pymongo.

``GET /enterprises?first=N`` with the same ``Authorization: Bearer`` header answers with the same JSON as the
app's ``{ viewer { username } enterprises(first: N) { edges { node { creditCode name } } } }`` after the same
work a hand-written endpoint would do for it: the access token's signature, kind and expiry checked with the
app's secret (PyJWT), the account read from ``users`` and kept for ``account_cache_seconds`` as the app keeps it
(its scope, disabled flag and token generation checked), then the same two reads the app makes, on the same
database, with the same filters, window, sort and limit: the ``counters`` document of the enterprises for the
last sequence number, and one ``find`` on ``enterprises`` in the viewer's jurisdictions (``core.pagination
.read_page``, a pure function, places the window as the app does). Whole documents are read, as the app reads
them; the JSON is built from them directly, with no domain model and no GraphQL.
"""

from __future__ import annotations

import os
import time
from typing import Any


def serve_rest() -> None:
    """The peer under uvicorn, as bench/api.py starts it (``PORT``, ``MONGODB_URI``, ``ECOINSPECT_*``)."""
    import uvicorn

    from core.config import Settings

    uvicorn.run(rest_app(Settings()), host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None,
                access_log=False, lifespan="on")


def rest_app(settings: Any) -> Any:
    """The peer's Starlette app for ``settings`` (a ``core.config.Settings``), its pymongo client its own."""
    import jwt
    from pymongo import ASCENDING, AsyncMongoClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from core.pagination import read_page

    secret = settings.secret_key
    if not secret or not settings.mongodb_uri:
        raise SystemExit("the REST peer needs ECOINSPECT_SECRET_KEY and MONGODB_URI")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri, tz_aware=True,
                                                                uuidRepresentation="standard")
    db = client[settings.database_name]
    accounts: dict[str, tuple[float, dict[str, Any] | None]] = {}
    pushdown: list[bool] = []  # MongoDB stops a range query at its limit; SecantusDB reads the range (core/db.py)

    def refuse(message: str, status: int) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def account(username: str) -> dict[str, Any] | None:
        now = time.monotonic()
        cached = accounts.get(username)
        if cached is None or cached[0] < now:
            cached = (now + settings.account_cache_seconds, await db["users"].find_one({"username": username}))
            accounts[username] = cached
        return cached[1]

    async def enterprises(request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return refuse("send an Authorization: Bearer <token> header", 401)
        try:
            claims = jwt.decode(token.strip(), secret, algorithms=["HS256"],
                                options={"require": ["exp", "sub", "typ"]})
        except jwt.PyJWTError:
            return refuse("the token is not valid", 401)
        user = await account(str(claims["sub"])) if claims.get("typ") == "access" else None
        if user is None or user.get("disabled") or claims.get("gen", "") != user.get("token_generation", ""):
            return refuse("the token is not valid", 401)
        try:
            first = int(request.query_params.get("first", "10"))
        except ValueError:
            return refuse("first must be an integer", 400)
        if not 1 <= first <= 100:
            return refuse("first must be between 1 and 100", 400)
        if not pushdown:
            pushdown.append("secantusVersion" not in await client.admin.command("buildInfo"))
        scope = {"jurisdiction_path": {"$in": list(user["jurisdictions"])}}

        async def window(low: int, high: int, limit: int) -> list[dict[str, Any]]:
            query = {"seq": {"$gt": low, "$lte": high}, **scope}
            return await db["enterprises"].find(query).sort("seq", ASCENDING).limit(limit).to_list()

        counter = await db["counters"].find_one({"_id": "enterprises"})
        docs, _ = await read_page(window, after=0, first=first, limit_pushdown=pushdown[0],
                                  max_seq=int(counter["value"]) if counter else 0)
        return JSONResponse({"data": {
            "viewer": {"username": user["username"]},
            "enterprises": {"edges": [{"node": {"creditCode": d["credit_code"], "name": d["name"]}} for d in docs]},
        }})

    async def ready(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return Starlette(routes=[Route("/enterprises", enterprises), Route("/readyz", ready)])
