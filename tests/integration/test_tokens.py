"""Tokens die with their account: disabled, deleted, unknown, revoked; the signing secret is per data directory."""

from __future__ import annotations

import contextlib
import stat
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from conftest import PASSWORD, gql
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli
from core.accounts.models import Role
from core.accounts.secret import signing_secret
from core.accounts.service import AccountService
from core.config import Settings
from core.db import Database

VIEWER = "{ viewer { username roles jurisdictions } }"
# The constants that signed every demo instance's tokens before secrets were generated per data directory.
OLD_SOURCE_SECRETS = ("dev-insecure-secret-change-me-0123456789", "ecoinspect-demo-secret-not-for-production")


@pytest.fixture
def uncached(settings: Settings) -> Settings:
    # Another process (the CLI) changes the account: with no cache the server sees it at once.
    return settings.model_copy(update={"account_cache_seconds": 0.0})


@contextlib.asynccontextmanager
async def _serve(database: Database, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A client of a fresh app, and that app's Starlette state."""
    app = create_app(settings, database=database)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app.app.state


@pytest.fixture
async def http(database: Database, uncached: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with _serve(database, uncached) as (client, _state):
        yield client


async def _login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await http.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _viewer_status(http: httpx.AsyncClient, token: str) -> tuple[int, str | None]:
    response = await http.post("/graphql", json={"query": VIEWER}, headers={"authorization": f"Bearer {token}"})
    errors = response.json().get("errors") or [{}]
    return response.status_code, errors[0].get("extensions", {}).get("code")


async def _refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await http.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token})


async def test_a_disabled_accounts_tokens_stop_working(http: httpx.AsyncClient, users: dict[str, str],
                                                       database: Database, uncached: Settings) -> None:
    tokens = await _login(http, "xian_inspector")
    assert await _viewer_status(http, tokens["access_token"]) == (200, None)
    await AccountService(database, uncached).disable_user("xian_inspector", actor="admin")
    assert await _viewer_status(http, tokens["access_token"]) == (401, "INVALID_TOKEN")
    assert (await _refresh(http, tokens["refresh_token"])).json()["code"] == "INVALID_TOKEN"
    # The same records through a plain-HTTP endpoint (bearer_viewer).
    record = await http.get("/tasks/anything/record.pdf",
                            headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert record.status_code == 401
    refused = await http.post("/auth/token", data={"username": "xian_inspector", "password": PASSWORD})
    assert refused.json()["code"] == "INVALID_CREDENTIALS"


async def test_enabling_again_does_not_revive_old_tokens(http: httpx.AsyncClient, users: dict[str, str],
                                                         database: Database, uncached: Settings) -> None:
    tokens = await _login(http, "xian_inspector")
    accounts = AccountService(database, uncached)
    await accounts.disable_user("xian_inspector", actor="admin")
    await accounts.enable_user("xian_inspector", actor="admin")
    assert await _viewer_status(http, tokens["access_token"]) == (401, "INVALID_TOKEN")
    assert (await _refresh(http, tokens["refresh_token"])).status_code == 401
    fresh = await _login(http, "xian_inspector")
    assert await _viewer_status(http, fresh["access_token"]) == (200, None)


async def test_a_deleted_or_recreated_accounts_tokens_stop_working(http: httpx.AsyncClient, users: dict[str, str],
                                                                   database: Database, uncached: Settings) -> None:
    tokens = await _login(http, "admin")
    await database["users"].delete_one({"username": "admin"})
    assert await _viewer_status(http, tokens["access_token"]) == (401, "INVALID_TOKEN")
    assert (await _refresh(http, tokens["refresh_token"])).status_code == 401
    # A new account under the same name is a new person: the old tokens stay dead.
    await AccountService(database, uncached).create_user(username="admin", password=PASSWORD, roles=[Role.ADMIN],
                                                         jurisdictions=["610000"])
    assert await _viewer_status(http, tokens["access_token"]) == (401, "INVALID_TOKEN")


async def test_a_token_for_a_user_that_never_existed_is_refused(http: httpx.AsyncClient, users: dict[str, str],
                                                                uncached: Settings) -> None:
    now = datetime.now(UTC)
    forged = jwt.encode({"sub": "ghost", "typ": "access", "iat": now, "exp": now + timedelta(minutes=5),
                         "roles": ["admin"], "jur": ["610000"]}, uncached.secret_key, algorithm="HS256")
    assert await _viewer_status(http, forged) == (401, "INVALID_TOKEN")


async def test_roles_and_scope_come_from_the_stored_account(http: httpx.AsyncClient, users: dict[str, str],
                                                            database: Database) -> None:
    token = (await _login(http, "xian_supervisor"))["access_token"]
    await database["users"].update_one({"username": "xian_supervisor"},
                                       {"$set": {"roles": ["inspector"], "jurisdictions": ["610300"]}})
    result = await gql(http, VIEWER, token=token)
    assert result["data"]["viewer"] == {"username": "xian_supervisor", "roles": ["inspector"],
                                        "jurisdictions": ["610300"]}


async def test_a_password_change_revokes_tokens(http: httpx.AsyncClient, users: dict[str, str],
                                                database: Database, uncached: Settings) -> None:
    tokens = await _login(http, "author")
    await AccountService(database, uncached).change_password("author", "a-brand-new-password", actor="author")
    assert (await _refresh(http, tokens["refresh_token"])).json()["code"] == "INVALID_TOKEN"
    assert await _viewer_status(http, tokens["access_token"]) == (401, "INVALID_TOKEN")
    old = await http.post("/auth/token", data={"username": "author", "password": PASSWORD})
    assert old.json()["code"] == "INVALID_CREDENTIALS"
    fresh = await _login(http, "author", "a-brand-new-password")
    assert (await _refresh(http, fresh["refresh_token"])).status_code == 200
    audit = await database["audit"].find({"target": "user:author", "action": "changePassword"}).to_list()
    assert [a["outcome"] for a in audit] == ["ok"]


async def test_the_serving_process_sees_its_own_disable_at_once(users: dict[str, str], database: Database,
                                                                settings: Settings) -> None:
    # With the default cache of a few seconds, a change made through the serving process's own
    # service drops the cached entry, so it does not wait for the cache to expire.
    async with _serve(database, settings) as (client, state):
        token = (await _login(client, "baoji_inspector"))["access_token"]
        assert await _viewer_status(client, token) == (200, None)
        await state.accounts.disable_user("baoji_inspector", actor="admin")
        assert await _viewer_status(client, token) == (401, "INVALID_TOKEN")


def test_without_a_configured_secret_each_data_directory_generates_its_own(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path / "a", password_hash_profile="fast")
    key_file = tmp_path / "a" / "secret_key"
    secret = signing_secret(first)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(secret) >= 43 and secret not in OLD_SOURCE_SECRETS
    assert signing_secret(first) == secret  # kept across restarts
    other = signing_secret(Settings(data_dir=tmp_path / "b"))
    assert other != secret
    configured = Settings(data_dir=tmp_path / "c", secret_key="k" * 40)
    assert signing_secret(configured) == "k" * 40 and not (tmp_path / "c").exists()


async def test_tokens_signed_with_the_old_source_constants_are_refused(
        db_server: SecantusDBServer, tmp_path: Path) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    database = Database(db_server.uri, name)
    settings = Settings(data_dir=tmp_path, password_hash_profile="fast", login_delay_max_seconds=0.01)
    app = create_app(settings, database=database)
    try:
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
            await AccountService(database, settings).create_user(username="admin", password=PASSWORD,
                                                                 roles=[Role.ADMIN], jurisdictions=["610000"])
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                assert (await _login(client, "admin"))["access_token"]
                now = datetime.now(UTC)
                for secret in OLD_SOURCE_SECRETS:
                    forged = jwt.encode({"sub": "admin", "typ": "access", "iat": now, "exp": now + timedelta(minutes=5),
                                         "roles": ["admin"], "jur": ["610000"]}, secret, algorithm="HS256")
                    assert await _viewer_status(client, forged) == (401, "INVALID_TOKEN")
    finally:
        await database.client.drop_database(name)
        await database.client.close()


def test_production_still_needs_a_configured_secret(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from core.config import Mode

    with pytest.raises(ValidationError, match="ECOINSPECT_SECRET_KEY"):
        Settings(mode=Mode.PRODUCTION, data_dir=tmp_path)


@pytest.fixture
def cli_env(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    monkeypatch.setenv("ECOINSPECT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOINSPECT_PASSWORD_HASH_PROFILE", "fast")
    return name


def test_cli_disables_enables_and_resets_a_password(cli_env: str) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["user", "create", "chief", "--role", "supervisor", "--jurisdiction", "610100",
                                  "--password", "long-enough-pw"])
    assert created.exit_code == 0, created.output
    for args in (["user", "disable", "chief"], ["user", "enable", "chief"],
                 ["user", "password", "chief", "--password", "another-long-pw"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    missing = runner.invoke(cli, ["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "[NOT_FOUND]" in missing.output
    weak = runner.invoke(cli, ["user", "password", "chief", "--password", "short"])
    assert weak.exit_code == 1 and "[WEAK_PASSWORD]" in weak.output
