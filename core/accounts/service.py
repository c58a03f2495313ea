"""Accounts: creation, password login behind the lock-out, tokens checked against the stored account, revocation."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any

from core.accounts.cache import AccountCache
from core.accounts.lockout import LoginThrottle
from core.accounts.models import ANONYMOUS, Role, User, Viewer
from core.accounts.passwords import check_strength, hash_off_loop, hash_password, login_delay, verify_off_loop
from core.accounts.repository import UserRepository
from core.accounts.tokens import TokenSigner, still_valid
from core.audit.repository import AuditRepository
from core.config import Settings
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import Conflict, NotFound, Unauthenticated
from core.reference import tables

__all__ = ["AccountService", "hash_password", "login_delay"]


def _generation() -> str:
    return secrets.token_hex(8)


class AccountService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.users = UserRepository(database)
        self.settings = settings
        self.throttle = LoginThrottle(database, settings)
        self.tokens = TokenSigner(settings)
        self.cache = AccountCache(self.users.get, settings.account_cache_seconds)
        self.audit = AuditRepository(database)

    async def create_user(
        self, *, username: str, password: str, roles: list[Role], jurisdictions: list[str],
        inspector_id: str | None = None, display_name: str = "", replace: bool = False,
    ) -> User:
        unknown = [j for j in jurisdictions if j not in tables.divisions()]
        if unknown:
            raise Conflict(f"unknown jurisdiction {', '.join(unknown)}", code=ErrorCode.UNKNOWN_JURISDICTION)
        check_strength(password)
        if not replace and await self.users.get(username):
            raise Conflict(f"user {username} already exists", code=ErrorCode.USER_EXISTS)
        # A new generation: a replaced or re-created account never accepts an older namesake's tokens.
        user = User(
            username=username, password_hash=await hash_off_loop(password, self.settings.password_hash_profile),
            roles=roles, jurisdictions=jurisdictions, inspector_id=inspector_id, display_name=display_name,
            token_generation=_generation(), created_at=datetime.now(UTC),
        )
        await self.users.upsert(user)
        self.cache.forget(username)
        return user

    async def authenticate(self, username: str, password: str, *, address: str = "unknown") -> User:
        """The account, if the password is right and no lock-out applies (core/accounts/lockout.py)."""
        admission = await self.throttle.admit(username, address)
        try:
            user = await self.users.get(username)
            hashed = user.password_hash if user is not None and not user.disabled else None
            verified = await verify_off_loop(hashed, password, self.settings.password_hash_profile)
        except BaseException:
            await self.throttle.failed(admission)  # never leave the attempt pending
            raise
        if verified:
            await self.throttle.succeeded(admission)
            assert user is not None
            return user
        failure = await self.throttle.failed(admission)
        await asyncio.sleep(login_delay(failure.failures, self.settings))
        if failure.refusal is not None:
            raise failure.refusal
        raise Unauthenticated("invalid username or password", code=ErrorCode.INVALID_CREDENTIALS)

    def issue_tokens(self, user: User) -> dict[str, Any]:
        return self.tokens.issue(user)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """New tokens for a refresh token whose account still holds. A lock-out does not end a session:
        it stops password guessing, and must not let a stranger sign a user out."""
        claims = self.tokens.decode(refresh_token, "refresh")
        user = still_valid(await self.users.get(claims["sub"]), claims)
        return self.issue_tokens(user)

    async def viewer_from_token(self, token: str | None) -> Viewer:
        """The viewer of a request: roles and scope from the stored account (cached a few seconds)."""
        if not token:
            return ANONYMOUS
        claims = self.tokens.decode(token, "access")
        user = still_valid(await self.cache.get(str(claims["sub"])), claims)
        return Viewer(username=user.username, roles=frozenset(user.roles),
                      jurisdictions=tuple(user.jurisdictions), inspector_id=user.inspector_id)

    async def disable_user(self, username: str, *, actor: str, request_id: str = "cli") -> None:
        """Refuse the account's logins and revoke its tokens (access tokens within the cache time)."""
        await self._change(username, {"disabled": True, "token_generation": _generation()},
                           actor=actor, action="disableUser", request_id=request_id)

    async def enable_user(self, username: str, *, actor: str, request_id: str = "cli") -> None:
        await self._change(username, {"disabled": False}, actor=actor, action="enableUser", request_id=request_id)

    async def change_password(self, username: str, password: str, *, actor: str, request_id: str = "cli") -> None:
        """Set a new password and revoke every token issued before it."""
        check_strength(password)
        hashed = await hash_off_loop(password, self.settings.password_hash_profile)
        await self._change(username, {"password_hash": hashed, "token_generation": _generation()},
                           actor=actor, action="changePassword", request_id=request_id)

    async def unlock_user(self, username: str, *, actor: str, request_id: str = "cli") -> None:
        """Lift the account's login locks from every address."""
        if await self.users.get(username) is None:
            raise NotFound(f"user {username} not found", field="username")
        await self.throttle.unlock(username)
        await self.audit.append(actor=actor, action="unlockUser", target=f"user:{username}",
                                request_id=request_id, outcome="ok")

    async def _change(self, username: str, changes: dict[str, Any], *, actor: str, action: str,
                      request_id: str) -> None:
        if not await self.users.update(username, changes):
            raise NotFound(f"user {username} not found", field="username")
        self.cache.forget(username)
        await self.audit.append(actor=actor, action=action, target=f"user:{username}",
                                request_id=request_id, outcome="ok")
