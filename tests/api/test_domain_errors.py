"""A DomainError a resolver lets through reaches the client with its own code and message."""

from __future__ import annotations

import httpx
from conftest import gql, token_for


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
