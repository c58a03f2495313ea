"""Login, slow-down, lock-out, token lifetimes and refresh, through the HTTP endpoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from conftest import PASSWORD, audit_log, gql

from core.accounts.service import login_delay
from core.config import Settings
from core.db import Database


async def test_password_grant_returns_bearer_tokens(client: httpx.AsyncClient, users: dict[str, str],
                                                    settings: Settings) -> None:
    response = await client.post("/auth/token", data={"username": "xian_inspector", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == settings.access_token_minutes * 60
    claims = jwt.decode(body["access_token"], settings.secret_key, algorithms=["HS256"])
    assert claims["sub"] == "xian_inspector" and claims["jur"] == ["610100"] and claims["typ"] == "access"
    assert response.headers["cache-control"] == "no-store"


async def test_wrong_password_and_unknown_user_look_alike(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    wrong = await client.post("/auth/token", data={"username": "admin", "password": "nope-nope"})
    unknown = await client.post("/auth/token", data={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "INVALID_CREDENTIALS"


async def test_repeated_failures_lock_the_account(client: httpx.AsyncClient, users: dict[str, str],
                                                  settings: Settings, database: Database) -> None:
    codes = []
    for _ in range(settings.login_lock_after):
        response = await client.post("/auth/token", data={"username": "author", "password": "bad-password"})
        codes.append(response.json()["code"])
    assert codes[-1] == "ACCOUNT_LOCKED"
    assert codes[:-1] == ["INVALID_CREDENTIALS"] * (settings.login_lock_after - 1)
    locked = await client.post("/auth/token", data={"username": "author", "password": PASSWORD})
    assert locked.status_code == 423 and locked.json()["code"] == "ACCOUNT_LOCKED"
    # Once the lock has expired, the right password works again.
    past = datetime.now(UTC) - timedelta(seconds=1)
    await database["login_throttle"].update_many({"locked_until": {"$ne": None}},
                                                 {"$set": {"locked_until": past, "window_until": past}})
    assert (await client.post("/auth/token", data={"username": "author", "password": PASSWORD})).status_code == 200
    audit = await audit_log(client, target="author", operation="login")
    assert {a["outcome"] for a in audit} >= {"ok", "refused:INVALID_CREDENTIALS", "refused:ACCOUNT_LOCKED"}


def test_login_delay_grows_after_threshold_and_is_capped() -> None:
    settings = Settings(login_slowdown_after=3, login_lock_after=10, login_delay_max_seconds=2.0)
    delays = [login_delay(n, settings) for n in range(1, 10)]
    assert delays[:2] == [0.0, 0.0]
    assert delays[2] > 0 and all(b >= a for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) == 2.0


async def test_refresh_grant_issues_new_tokens(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    first = (await client.post("/auth/token", data={"username": "admin", "password": PASSWORD})).json()
    refreshed = await client.post("/auth/token", data={"grant_type": "refresh_token",
                                                       "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    result = await gql(client, "{ viewer { username } }", token=refreshed.json()["access_token"])
    assert result["data"]["viewer"]["username"] == "admin"
    # An access token is not a refresh token, and vice versa.
    misuse = await client.post("/auth/token", data={"grant_type": "refresh_token",
                                                    "refresh_token": first["access_token"]})
    assert misuse.status_code == 401 and misuse.json()["code"] == "INVALID_TOKEN"
    as_access = await client.post("/graphql", json={"query": "{ viewer { username } }"},
                                  headers={"authorization": f"Bearer {first['refresh_token']}"})
    assert as_access.status_code == 401


async def test_expired_token_is_refused(client: httpx.AsyncClient, users: dict[str, str], settings: Settings) -> None:
    now = datetime.now(UTC)
    token = jwt.encode({"sub": "admin", "typ": "access", "iat": now - timedelta(hours=2),
                        "exp": now - timedelta(hours=1), "roles": ["admin"], "jur": ["610000"]},
                       settings.secret_key, algorithm="HS256")
    response = await client.post("/graphql", json={"query": "{ viewer { username } }"},
                                 headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "TOKEN_EXPIRED"


async def test_token_signed_with_another_key_is_refused(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    token = jwt.encode({"sub": "admin", "typ": "access", "exp": datetime.now(UTC) + timedelta(hours=1),
                        "roles": ["admin"], "jur": ["610000"]}, "another-key-" + "y" * 30, algorithm="HS256")
    response = await client.post("/graphql", json={"query": "{ viewer { username } }"},
                                 headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize(("data", "code"), [({"username": "admin"}, "BAD_REQUEST"),
                                            ({"grant_type": "client_credentials"}, "UNSUPPORTED_GRANT_TYPE")])
async def test_bad_token_requests(client: httpx.AsyncClient, data: dict[str, str], code: str) -> None:
    response = await client.post("/auth/token", data=data)
    assert response.status_code == 400 and response.json()["code"] == code


def test_production_refuses_default_or_short_secret() -> None:
    from pydantic import ValidationError

    from core.config import PUBLISHED_SECRETS, Mode

    for secret in (*PUBLISHED_SECRETS, "short", None):
        with pytest.raises(ValidationError, match="ECOINSPECT_SECRET_KEY"):
            Settings(mode=Mode.PRODUCTION, secret_key=secret)
    for secret in PUBLISHED_SECRETS:  # published in the source: refused in development too
        with pytest.raises(ValidationError, match="ECOINSPECT_SECRET_KEY"):
            Settings(secret_key=secret)
    assert Settings(mode=Mode.PRODUCTION, secret_key="z" * 40).production


async def test_concurrent_logins_all_succeed(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    responses = await asyncio.gather(*[
        client.post("/auth/token", data={"username": "admin", "password": PASSWORD}) for _ in range(5)])
    assert [r.status_code for r in responses] == [200] * 5
