"""The GraphQL-over-HTTP transport: media types, status codes, methods, limits, masking."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from conftest import token_for

from api.app import create_app
from core.config import Mode, Settings
from core.db import Database

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = "{ viewer { authenticated } }"


async def test_graphql_response_media_type_and_status(client: httpx.AsyncClient) -> None:
    ok = await client.post("/graphql", json={"query": QUERY}, headers={"accept": GRAPHQL_RESPONSE})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"viewer": {"authenticated": False}}}
    bad = await client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": GRAPHQL_RESPONSE})
    assert bad.status_code == 400
    assert "data" not in bad.json()
    assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_legacy_json_answers_200_for_validation_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"]


async def test_syntax_error_is_a_request_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ viewer {"}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "BAD_REQUEST"),
        ({"content": b"query=x", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        ({"json": {"query": 5}}, 400, "BAD_REQUEST"),
        ({"json": {"query": QUERY, "variables": [1]}}, 400, "BAD_REQUEST"),
        ({"json": {"query": QUERY}, "headers": {"accept": "text/csv"}}, 406, "NOT_ACCEPTABLE"),
    ],
)
async def test_malformed_requests(client: httpx.AsyncClient, kwargs: dict, status: int, code: str) -> None:
    response = await client.post("/graphql", **kwargs)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == code


async def test_invalid_token_is_401_with_code(client: httpx.AsyncClient) -> None:
    for header in ("Bearer not-a-jwt", "Basic abc"):
        response = await client.post("/graphql", json={"query": QUERY}, headers={"authorization": header})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


async def test_oversized_body_is_413(client: httpx.AsyncClient, settings: Settings) -> None:
    payload = {"query": QUERY, "variables": {"pad": "x" * (settings.max_body_bytes + 10)}}
    response = await client.post("/graphql", json=payload)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_get_allowed_in_dev_but_never_for_mutations(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": QUERY})
    assert response.status_code == 200 and response.json()["data"]["viewer"]["authenticated"] is False
    mutation = 'mutation { updateEnterprise(input: {creditCode: "x", version: 1}) { userErrors { code } } }'
    refused = await client.get("/graphql", params={"query": mutation})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"


async def test_get_and_graphiql_off_in_production(database: Database) -> None:
    settings = Settings(mode=Mode.PRODUCTION, secret_key="p" * 40)
    app = create_app(settings, database=database)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
    ) as http:
        assert (await http.get("/graphql", params={"query": QUERY})).status_code == 405
        assert (await http.get("/graphql", headers={"accept": "text/html"})).status_code == 405
        assert (await http.get("/graphiql/graphiql.min.js")).status_code == 404
        assert (await http.post("/graphql", json={"query": QUERY})).status_code == 200


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ " + " ".join(f"a{i}: viewer {{ username }}" for i in range(20)) + " }", None),
        ("{ enterprises(first: 100) { edges { node { name } } } " * 1 + "}", None),
    ],
)
async def test_limits_refuse_expensive_queries(client: httpx.AsyncClient, query: str, code: str | None) -> None:
    response = await client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    if "a19" in query:
        assert response.status_code == 400  # more aliases than allowed
    else:
        assert response.status_code == 200  # 100 × 3 nodes is under the node limit


async def test_node_limit_and_depth_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    wide = "{ " + " ".join(
        f"e{i}: enterprises(first: 100) {{ edges {{ node {{ name creditCode }} }} }}" for i in range(12)) + " }"
    response = await client.post("/graphql", json={"query": wide}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert any(e["extensions"]["code"] == "QUERY_TOO_LARGE" for e in response.json()["errors"])


async def test_depth_limit(database: Database) -> None:
    app = create_app(Settings(query_max_depth=3), database=database)
    deep = "{ enterprises(first: 1) { edges { node { credit { tier } } } } }"
    shallow = "{ enterprises(first: 1) { edges { node { name } } } }"
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
    ) as http:
        refused = await http.post("/graphql", json={"query": deep}, headers={"accept": GRAPHQL_RESPONSE})
        allowed = await http.post("/graphql", json={"query": shallow}, headers={"accept": GRAPHQL_RESPONSE})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert allowed.status_code == 200


async def test_internal_errors_are_masked(client: httpx.AsyncClient, users: dict[str, str],
                                          database: Database) -> None:
    token = await token_for(client, "prov_supervisor")
    await database["counters"].insert_one({"_id": "enterprises", "value": "corrupt"})
    response = await client.post("/graphql", json={"query": "{ enterprises(first: 5) { edges { cursor } } }"},
                                 headers={"authorization": f"Bearer {token}"})
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert "corrupt" not in response.text
    assert error["extensions"]["code"] == "INTERNAL_ERROR"


async def test_request_id_is_echoed_and_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"x-request-id": "abc123"})
    assert given.headers["x-request-id"] == "abc123"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 16


async def test_health_ready_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    await client.post("/graphql", json={"query": "query ViewerCheck " + QUERY})
    text = (await client.get("/metrics")).text
    assert 'ecoinspect_graphql_operations_total{operation="ViewerCheck",outcome="ok"}' in text
    assert "ecoinspect_graphql_operation_seconds_bucket" in text
