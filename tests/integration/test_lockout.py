"""Login lock-out: atomic counts under concurrency, per address and account, without locking users out for long."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from conftest import PASSWORD

import core.accounts.passwords as passwords
from api.app import create_app
from core.config import Settings
from core.db import Database

ATTACKER, USER = "10.0.0.66", "10.0.0.7"


@pytest.fixture
def policy(settings: Settings) -> Settings:
    # lock_after 4 (conftest); a whole address after 8 failures; an account everywhere after 6.
    return settings.model_copy(update={"login_address_lock_after": 8, "login_account_lock_after": 6,
                                       "login_account_lock_minutes": 1})


@contextlib.asynccontextmanager
async def _serve(database: Database, settings: Settings) -> AsyncIterator[Any]:
    asgi = create_app(settings, database=database)
    async with LifespanManager(asgi, startup_timeout=60, shutdown_timeout=60) as manager:
        manager.app.accounts = asgi.app.state.accounts  # type: ignore[attr-defined]
        manager.app.audit = asgi.app.state.services.audit  # type: ignore[attr-defined]
        yield manager.app


@pytest.fixture
async def app(database: Database, policy: Settings) -> AsyncIterator[Any]:
    async with _serve(database, policy) as served:
        yield served


@contextlib.asynccontextmanager
async def _from(app: Any, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"username": username, "password": password})


async def _codes(client: httpx.AsyncClient, username: str, count: int) -> list[str]:
    return [(await _login(client, username, f"wrong-{i}")).json()["code"] for i in range(count)]


async def test_concurrent_guesses_get_at_most_lock_after_checks(database: Database, users: dict[str, str],
                                                               settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The default address and account limits (100, 50): only the account-and-address lock acts here.
    checked: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    async with _serve(database, settings) as app, _from(app, ATTACKER) as attacker:
        responses = await asyncio.gather(*[_login(attacker, "author", f"guess-{i}") for i in range(20)])
        codes = [r.json()["code"] for r in responses]
        assert len(checked) <= settings.login_lock_after, codes
        assert codes.count("INVALID_CREDENTIALS") == settings.login_lock_after - 1
        assert codes.count("ACCOUNT_LOCKED") == 20 - (settings.login_lock_after - 1)
        # The lock holds for this address even with the right password, and checks nothing.
        before = len(checked)
        locked = await _login(attacker, "author", PASSWORD)
        assert locked.status_code == 423 and locked.json()["code"] == "ACCOUNT_LOCKED"
        assert len(checked) == before


async def test_concurrent_right_passwords_all_get_in(app: Any, users: dict[str, str]) -> None:
    # More simultaneous logins than the lock-out limit: the ones over it wait for the others' outcome.
    async with _from(app, USER) as user:
        responses = await asyncio.gather(*[_login(user, "admin", PASSWORD) for _ in range(10)])
    assert [r.status_code for r in responses] == [200] * 10


async def test_a_stranger_cannot_lock_the_user_out_from_elsewhere(app: Any, users: dict[str, str],
                                                                  policy: Settings, database: Database) -> None:
    async with _from(app, ATTACKER) as attacker, _from(app, USER) as user:
        codes = await _codes(attacker, "xian_inspector", policy.login_lock_after)
        assert codes[-1] == "ACCOUNT_LOCKED"
        assert (await _login(user, "xian_inspector", PASSWORD)).status_code == 200
        assert (await _login(attacker, "xian_inspector", PASSWORD)).status_code == 423
    await app.audit.flush()  # logins are recorded through the audit queue
    audit = await database["audit"].find({"target": "user:xian_inspector"}).to_list()
    assert {(a["outcome"], a["detail"]["address"]) for a in audit} >= {
        ("refused:ACCOUNT_LOCKED", ATTACKER), ("ok", USER)}


async def test_a_success_resets_the_count(app: Any, users: dict[str, str], policy: Settings) -> None:
    async with _from(app, USER) as user:
        assert await _codes(user, "author", policy.login_lock_after - 1) == ["INVALID_CREDENTIALS"] * 3
        assert (await _login(user, "author", PASSWORD)).status_code == 200
        assert await _codes(user, "author", policy.login_lock_after - 1) == ["INVALID_CREDENTIALS"] * 3


async def test_unknown_accounts_lock_like_real_ones(app: Any, users: dict[str, str], policy: Settings) -> None:
    # Otherwise whether a name locks would tell which accounts exist.
    async with _from(app, ATTACKER) as attacker, _from(app, USER) as other:
        real = await _codes(attacker, "author", policy.login_lock_after + 1)
        ghost = await _codes(other, "ghost", policy.login_lock_after + 1)
    assert real == ghost


async def test_one_address_trying_many_accounts_is_stopped(app: Any, users: dict[str, str],
                                                           policy: Settings) -> None:
    names = ["author", "admin", "xian_author", "prov_supervisor"]
    async with _from(app, ATTACKER) as attacker, _from(app, USER) as user:
        codes = []
        for i in range(policy.login_address_lock_after + 2):  # 2 tries per account: no pair lock
            codes += await _codes(attacker, names[i % len(names)], 1)
        assert codes[:policy.login_address_lock_after - 1] == ["INVALID_CREDENTIALS"] * 7
        assert set(codes[policy.login_address_lock_after - 1:]) == {"TOO_MANY_ATTEMPTS"}
        refused = await _login(attacker, "xian_supervisor", PASSWORD)
        assert refused.status_code == 429 and refused.json()["code"] == "TOO_MANY_ATTEMPTS"
        assert (await _login(user, "xian_supervisor", PASSWORD)).status_code == 200


async def test_a_guess_spread_over_addresses_locks_the_account_briefly(
        app: Any, users: dict[str, str], policy: Settings, database: Database) -> None:
    async with _from(app, USER) as user:
        tokens = (await _login(user, "admin", PASSWORD)).json()
        codes = []
        for i in range(policy.login_account_lock_after):  # one guess from each of many addresses
            async with _from(app, f"10.1.0.{i}") as attacker:
                codes += await _codes(attacker, "admin", 1)
        assert codes[-1] == "ACCOUNT_LOCKED" and set(codes[:-1]) == {"INVALID_CREDENTIALS"}
        refused = await _login(user, "admin", PASSWORD)
        assert refused.status_code == 423 and refused.json()["code"] == "ACCOUNT_LOCKED"
        # The lock is short, and it ends nobody's session: the refresh token still works.
        lock = await database["login_throttle"].find_one({"_id": "acct:admin"})
        assert lock["locked_until"] <= datetime.now(UTC) + timedelta(minutes=policy.login_account_lock_minutes)
        refreshed = await user.post("/auth/token", data={"grant_type": "refresh_token",
                                                         "refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200
        past = datetime.now(UTC) - timedelta(seconds=1)
        await database["login_throttle"].update_one({"_id": "acct:admin"},
                                                    {"$set": {"locked_until": past, "window_until": past}})
        assert (await _login(user, "admin", PASSWORD)).status_code == 200


async def test_an_administrator_unlocks_an_account(app: Any, users: dict[str, str], policy: Settings) -> None:
    async with _from(app, ATTACKER) as attacker:
        assert (await _codes(attacker, "author", policy.login_lock_after))[-1] == "ACCOUNT_LOCKED"
        await app.accounts.unlock_user("author", actor="admin")
        assert (await _login(attacker, "author", PASSWORD)).status_code == 200
