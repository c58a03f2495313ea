"""Hostile GraphQL documents and inputs: every one gets a coded answer fast, none stalls the service."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from conftest import token_for
from graphql import build_client_schema, build_schema, get_introspection_query, print_schema

GRAPHQL_RESPONSE = "application/graphql-response+json"
HEADERS = {"accept": GRAPHQL_RESPONSE}


async def post(client: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None,
               **extra: str) -> httpx.Response:
    headers = dict(HEADERS)
    if token:
        headers["authorization"] = f"Bearer {token}"
    headers.update(extra)
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def codes(response: httpx.Response) -> set[str]:
    return {e["extensions"]["code"] for e in response.json().get("errors", [])}


def doubling_chain(n: int) -> str:
    """n fragments, each spreading the next twice: 2^n leaves from a document of a few hundred bytes."""
    parts = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "query { ...F0 } " + " ".join(parts) + f" fragment F{n} on Query {{ viewer {{ username }} }}"


# Generous bounds that only catch a stall (each hostile document used to take seconds to minutes); the
# machine running the suite has 2 cores shared with another worker.
STALL_S = 2.0


async def test_fragment_cycle_is_refused_fast(client: httpx.AsyncClient) -> None:
    started = time.perf_counter()
    response = await post(client, "query{...A} fragment A on Query{...A ...A viewer{username}}")
    assert time.perf_counter() - started < STALL_S
    assert response.status_code == 400
    assert any("cannot spread fragment" in e["message"].lower() for e in response.json()["errors"])


@pytest.mark.parametrize("n", [20, 40])
async def test_doubling_fragments_are_costed_once_each(client: httpx.AsyncClient, n: int) -> None:
    started = time.perf_counter()
    response = await post(client, doubling_chain(n))
    assert time.perf_counter() - started < STALL_S
    assert response.status_code == 400
    assert "QUERY_TOO_LARGE" in codes(response)


async def test_healthz_answers_while_a_hostile_document_is_validated(client: httpx.AsyncClient) -> None:
    # 480 fields of one name make graphql-core's overlap rule compare every pair: seconds of CPU.
    hostile = "{ " + " ".join("viewer { username }" for _ in range(480)) + " }"
    attack = [asyncio.create_task(post(client, hostile)) for _ in range(3)]
    await asyncio.sleep(0.05)
    worst = 0.0
    for _ in range(5):
        started = time.perf_counter()
        health = await client.get("/healthz")
        worst = max(worst, time.perf_counter() - started)
        assert health.status_code == 200
        await asyncio.sleep(0.02)
    answers = await asyncio.gather(*attack)
    assert worst < 0.1, f"/healthz took {worst:.3f}s while validating"
    for answer in answers:
        assert answer.status_code in (200, 400)
        assert all("code" in e.get("extensions", {}) for e in answer.json().get("errors", []))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ " + " ".join(f"a{i}: viewer {{ username }}" for i in range(20)) + " }", "TOO_MANY_ALIASES"),
        ("{ " + "viewer { username } " * 700 + "}", "TOO_MANY_TOKENS"),
    ],
)
async def test_limit_codes_are_specific(client: httpx.AsyncClient, query: str, code: str) -> None:
    response = await post(client, query)
    assert response.status_code == 400
    assert code in codes(response)


async def test_depth_limit_code(database) -> None:
    from asgi_lifespan import LifespanManager

    from api.app import create_app
    from core.config import Settings

    app = create_app(Settings(query_max_depth=3), database=database)
    deep = "{ enterprises(first: 1) { edges { node { credit { tier } } } } }"
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
    ) as http:
        response = await post(http, deep)
    assert response.status_code == 400
    assert codes(response) == {"QUERY_TOO_DEEP"}


@pytest.mark.parametrize(
    ("variables", "declared"),
    [
        ({"v": "abc"}, "Int!"),
        ({"v": 2**40}, "Int!"),
        ({"v": "NOT_A_STATUS"}, "[TaskStatus!]"),
    ],
)
async def test_variable_errors_are_bad_user_input(client: httpx.AsyncClient, users: dict[str, str],
                                                  variables: dict, declared: str) -> None:
    token = await token_for(client, "xian_inspector")
    field = "myTasks(first: $v) { __typename }" if declared == "Int!" else "myTasks(first: 5, status: $v) { __typename }"
    response = await post(client, f"query Q($v: {declared}) {{ {field} }}", variables, token=token)
    errors = response.json()["errors"]
    assert errors[0]["message"] != "Unexpected error."
    assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}


async def test_missing_input_field_is_bad_user_input(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    token = await token_for(client, "prov_supervisor")
    response = await post(client, "mutation M($i: UpdateEnterpriseInput!) { updateEnterprise(input: $i) { "
                          "userErrors { code } } }", {"i": {"version": 1}}, token=token)
    errors = response.json()["errors"]
    assert errors[0]["message"] != "Unexpected error."
    assert codes(response) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b'"\\ud800"', b"1e400", str(2**64).encode()])
async def test_json_scalar_refuses_values_that_cannot_be_stored(client: httpx.AsyncClient, users: dict[str, str],
                                                                raw: bytes) -> None:
    token = await token_for(client, "author")
    query = ('mutation M($f: JSON!) { addGoldenCase(input: {versionId: "positive_list:610000:1", '
             'facts: $f, expected: {}}) { userErrors { code } } }')
    body = b'{"query": ' + httpx.Request("POST", "/", json=query).content + b', "variables": {"f": {"a": ' + raw + b"}}}"
    response = await client.post("/graphql", content=body, headers={
        "content-type": "application/json", "accept": GRAPHQL_RESPONSE, "authorization": f"Bearer {token}"})
    assert response.status_code == 400, response.text
    assert codes(response) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("literal", ["1e400", str(2**64), "-1e999"])
async def test_json_literals_that_cannot_be_stored_are_refused(client: httpx.AsyncClient, users: dict[str, str],
                                                               literal: str) -> None:
    token = await token_for(client, "author")
    query = ('mutation { addGoldenCase(input: {versionId: "positive_list:610000:1", '
             f'facts: {{a: {literal}}}, expected: {{}}}}) {{ userErrors {{ code }} }} }}')
    response = await post(client, query, token=token)
    assert response.status_code == 400, response.text
    assert codes(response) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("first", [-5, 0, 101])
async def test_page_sizes_outside_the_range_are_refused(client: httpx.AsyncClient, users: dict[str, str],
                                                        first: int) -> None:
    token = await token_for(client, "xian_inspector")
    response = await post(client, "query Q($n: Int!) { myTasks(first: $n) { __typename } }", {"n": first},
                          token=token)
    assert codes(response) == {"INVALID_PAGE_SIZE"}


async def test_subscription_over_post_says_what_it_is(client: httpx.AsyncClient) -> None:
    response = await post(client, "subscription { viewer { username } }")
    assert response.status_code in (400, 405)
    error = response.json()["errors"][0]
    assert "mutations need POST" not in error["message"]
    assert "subscription" in error["message"].lower()
    assert error["extensions"]["code"] in ("OPERATION_NOT_SUPPORTED", "GRAPHQL_VALIDATION_FAILED")


async def test_chunked_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the body arrives in chunks
        yield b'{"query": "{ viewer { username } }", "pad": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert codes(response) == {"BODY_TOO_LARGE"}


async def test_standard_introspection_round_trips(client: httpx.AsyncClient) -> None:
    response = await post(client, get_introspection_query(descriptions=True))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body.get("errors")
    rebuilt = build_client_schema(body["data"])
    assert "syncPush" in print_schema(rebuilt)


def test_checked_in_sdl_parses() -> None:
    from pathlib import Path

    sdl = (Path(__file__).resolve().parents[2] / "docs" / "schema.graphql").read_text()
    assert build_schema(sdl).query_type is not None
