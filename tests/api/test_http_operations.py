"""CORS for the configured origins, metrics by route template and operation name with the process and platform,
access log lines with user, operation and address, and log lines free of terminal colour codes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from conftest import token_for

from api.app import create_app
from api.logs import JsonFormatter, PlainFormatter
from core.config import Settings
from core.db import Database

ALLOWED = "https://field.example.org"


@pytest.fixture
async def cors_client(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(update={"cors_origins": f"{ALLOWED}/, https://other.example.org"})
    app = create_app(configured, database=database)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def _preflight(origin: str) -> dict[str, str]:
    return {"origin": origin, "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type"}


async def test_preflight_from_a_configured_origin_is_allowed(cors_client: httpx.AsyncClient) -> None:
    answer = await cors_client.options("/graphql", headers=_preflight(ALLOWED))
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in answer.headers  # bearer tokens, not cookies


async def test_preflight_from_another_origin_is_refused(cors_client: httpx.AsyncClient) -> None:
    answer = await cors_client.options("/graphql", headers=_preflight("https://evil.example.com"))
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


async def test_responses_carry_the_origin_only_for_configured_origins(cors_client: httpx.AsyncClient) -> None:
    query = {"query": "{ viewer { authenticated } }"}
    allowed = await cors_client.post("/graphql", json=query, headers={"origin": ALLOWED})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    other = await cors_client.post("/graphql", json=query, headers={"origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    answer = await client.options("/graphql", headers=_preflight(ALLOWED))
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def _samples(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + "{") or line.startswith(name + " ")]


async def test_metrics_by_route_template_operation_process_and_platform(client: httpx.AsyncClient) -> None:
    for plan in ("plan-a", "plan-b", "plan-c"):
        await client.get(f"/public/plans/{plan}.json")
    await client.get("/no/such/path/42")
    await client.post("/graphql", json={"query": "query ViewerProbe { viewer { authenticated } }"})
    text = (await client.get("/metrics")).text
    requests = _samples(text, "ecoinspect_http_requests_total")
    assert any('route="/public/plans/{plan_id}.json"' in line for line in requests), requests
    assert any('route="unmatched"' in line and 'status="404"' in line for line in requests), requests
    assert not any("plan-a" in line or "/no/such" in line for line in requests)  # ids never become labels
    assert any('operation="ViewerProbe"' in line and 'outcome="ok"' in line
               for line in _samples(text, "ecoinspect_graphql_operations_total"))
    for family in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                   "python_info"):
        assert _samples(text, family), family


async def test_access_log_names_user_operation_and_address(client: httpx.AsyncClient, users: dict[str, str],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    token = await token_for(client, "xian_inspector")
    with caplog.at_level(logging.INFO, logger="api.access"):
        await client.post("/graphql", json={"query": "query MyTasks { viewer { username } }"},
                          headers={"authorization": f"Bearer {token}"})
        await client.post("/auth/token", data={"username": "xian_inspector", "password": "wrong-password"})
        await client.get("/healthz")
    lines = [r for r in caplog.records if r.name == "api.access"]
    graphql, login, health = lines[-3:]
    assert (graphql.user, graphql.operation, graphql.route) == ("xian_inspector", "graphql:MyTasks", "/graphql")
    assert graphql.client == "127.0.0.1"
    assert (login.operation, login.user, login.status) == ("token:password", "-", 401)
    assert (health.user, health.operation) == ("-", "-")


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "uvicorn.error", "levelname": "INFO", "levelno": logging.INFO,
                                    "msg": message, "args": ()})
    record.__dict__.update(extra)
    return record


def test_log_lines_carry_no_colour_codes() -> None:
    # uvicorn logs its start line with a colourised copy in "color_message"; neither format may let it through.
    record = _record("Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)",
                     color_message="Uvicorn running on \x1b[1mhttp://127.0.0.1:8000\x1b[0m (Press CTRL+C to quit)")
    line = JsonFormatter().format(record)
    assert "\x1b" not in line and "color_message" not in line
    assert json.loads(line)["message"].startswith("Uvicorn running on http://127.0.0.1:8000")
    coloured = _record("\x1b[32mGET /graphql\x1b[0m 200")
    assert json.loads(JsonFormatter().format(coloured))["message"] == "GET /graphql 200"
    assert "\x1b" not in PlainFormatter().format(coloured)
