"""Shared fixtures: one embedded wire-protocol server per session (or the MongoDB named by ``TEST_MONGODB_URI``),
a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from secantus import SecantusDBServer

from api.app import create_app, prepare
from core.accounts.models import Role
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database

PASSWORD = "correct-horse-battery"

# Embedded databases started by the tests (CLI commands, apps built from settings) skip the journal
# flush at every commit: no test but the crash tests kills one, and they ask for it explicitly
# (tests/e2e/test_faults.py). Subprocesses inherit it through the environment.
os.environ.setdefault("ECOINSPECT_DB_SYNC_ON_COMMIT", "false")
# Plans are drawn right after their freeze in the tests: the announced public event is the freeze itself
# (tests/integration/test_draw_announcement.py builds its own settings to test the waiting).
for _name in ("DRAW_PUBLIC_INTERVAL_MINUTES", "DRAW_NOTICE_MINUTES", "DRAW_RESULT_DELAY_MINUTES"):
    os.environ.setdefault(f"ECOINSPECT_{_name}", "0")
PUBLIC_VALUE = "1 2 3 4 5"  # a value in the default announced format

# TEST_MONGODB_URI runs the suite against that server (a MongoDB replica set: transactions need one) instead of
# the embedded one. Tests make a database per test (t_<random>); what falls back to the configured name gets one
# per pytest-xdist worker, so workers sharing a server never share a database. Use a server you can throw away.
TEST_MONGODB_URI = os.environ.get("TEST_MONGODB_URI")
if TEST_MONGODB_URI:
    os.environ.setdefault("ECOINSPECT_DATABASE_NAME", f"ecoinspect_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")


@dataclass(frozen=True)
class ExternalServer:
    """The server named by TEST_MONGODB_URI, in place of the embedded one (tests use its ``uri`` only)."""

    uri: str


@pytest.fixture(scope="session")
def db_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusDBServer | ExternalServer]:
    if TEST_MONGODB_URI:
        yield ExternalServer(TEST_MONGODB_URI)
        return
    server = SecantusDBServer(port=0, storage_path=str(tmp_path_factory.mktemp("secantus")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key="test-secret-" + "x" * 32, login_delay_max_seconds=0.01,
                    login_slowdown_after=2, login_lock_after=4, log_json=False, password_hash_profile="fast")


@pytest.fixture
async def database(db_server: SecantusDBServer | ExternalServer) -> AsyncIterator[Database]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    db = Database(db_server.uri, name)
    await prepare(db)
    yield db
    await db.client.drop_database(name)
    await db.client.close()


USERS: dict[str, tuple[list[Role], list[str], str | None]] = {
    "prov_supervisor": ([Role.SUPERVISOR], ["610000"], None),
    "xian_supervisor": ([Role.SUPERVISOR], ["610100"], None),
    "xian_inspector": ([Role.INSPECTOR], ["610100"], "SX-610100-0001"),
    "baoji_inspector": ([Role.INSPECTOR], ["610300"], None),
    "author": ([Role.RULE_AUTHOR], ["610000"], None),
    "xian_author": ([Role.RULE_AUTHOR], ["610100"], None),
    "xian_lawyer": ([Role.LEGAL_REVIEWER], ["610100"], None),
    "admin": ([Role.ADMIN], ["610000"], None),
}


@pytest.fixture
async def users(database: Database, settings: Settings) -> dict[str, str]:
    accounts = AccountService(database, settings)
    for name, (roles, jurisdictions, inspector_id) in USERS.items():
        await accounts.create_user(username=name, password=PASSWORD, roles=roles,
                                   jurisdictions=jurisdictions, inspector_id=inspector_id)
    return dict.fromkeys(USERS, PASSWORD)


@pytest.fixture
async def client(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=database)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def token_for(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    response = await client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *,
              token: str | None = None) -> dict[str, Any]:
    headers = {"accept": "application/graphql-response+json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code in (200, 400), response.text
    return dict(response.json())


AUDIT_LOG = """query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) {
  edges { node { actor operation targets outcome code address detail { name value } } } } }"""


async def audit_log(client: httpx.AsyncClient, **where: Any) -> list[dict[str, Any]]:
    """The audit entries matching ``where`` (auditLog's filter), read as the admin: the app writes its queued
    entries first, so the caller sees what its requests recorded."""
    result = await gql(client, AUDIT_LOG, {"f": where}, token=await token_for(client, "admin"))
    assert not result.get("errors"), result
    return [edge["node"] for edge in result["data"]["auditLog"]["edges"]]


def enterprise_row(code17: str, jurisdiction: str = "610100", **extra: str) -> dict[str, str]:
    from core.registry.credit_code import complete

    return {"credit_code": complete(code17), "name": f"测试企业{code17[-4:]}", "jurisdiction": jurisdiction,
            "industry_code": "3011", "lon": "108.9", "lat": "34.2", **extra}


def today() -> Any:
    return datetime.now(UTC).date()


async def add_matters(database: Database, *codes: str, demo: bool = True) -> None:
    """The demo item list (unless not ``demo``), and a made-up matter for each of ``codes`` not on it: plans name
    listed matters only."""
    from core.demo.generator import matters
    from core.registry.models import Matter
    from core.registry.repository import MatterRepository

    listed = [Matter.model_validate(m) for m in matters()] if demo else []
    known = {m.code for m in listed}
    extra = [Matter.model_validate({"code": code, "name": f"事项 {code}", "object_scope": "排污单位",
                                    "method": "on_site", "legal_basis": "《环境保护法》", "default_ratio": 0.05,
                                    "frequency": "quarterly"}) for code in codes if code not in known]
    await MatterRepository(database).upsert_many(listed + extra)
