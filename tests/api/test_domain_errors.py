"""A DomainError a resolver lets through reaches the client with its own code and message."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from conftest import gql, token_for

from api.app import create_app
from core.config import Settings
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict


async def test_service_refusal_keeps_its_code_and_message(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    token = await token_for(client, "xian_supervisor")
    body = await gql(client, 'query { enterprises(first: 5, filter: {jurisdiction: "610300"}) { edges { cursor } } }',
                     token=token)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "jurisdiction 610300 is outside your scope"
    assert error["path"] == ["enterprises"]


async def test_service_not_found_keeps_its_code(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    token = await token_for(client, "xian_supervisor")
    body = await gql(client, 'query { planTasks(planId: "no-such-plan") { id } }', token=token)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-plan" in error["message"]


async def test_a_retryable_refusal_comes_with_retry_after(database: Database, settings: Settings,
                                                          users: dict[str, str]) -> None:
    """Every code flagged retryable in ErrorCode is answered with Retry-After, not only UNAVAILABLE and SYNC_BUSY."""
    wrapped = create_app(settings, database=database)
    async with LifespanManager(wrapped, startup_timeout=60, shutdown_timeout=60) as manager:
        services = wrapped.app.state.services

        async def busy(*_: Any, **__: Any) -> Any:  # a transaction that kept losing its race
            raise Conflict("plan tasks: the transaction did not settle", code=ErrorCode.TRANSACTION_BUSY)

        services.plans.tasks_of = busy
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            token = await token_for(client, "xian_supervisor")
            response = await client.post("/graphql", json={"query": 'query { planTasks(planId: "p") { id } }'},
                                         headers={"authorization": f"Bearer {token}"})
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "TRANSACTION_BUSY"
    assert response.headers["retry-after"] == "2"
