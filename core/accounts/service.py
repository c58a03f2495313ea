"""Password login with slow-down and lock-out, JWT access and refresh tokens, user creation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from core.accounts.models import ANONYMOUS, Role, User, Viewer
from core.accounts.repository import UserRepository
from core.config import Settings
from core.db import Database
from core.errors import AccountLocked, Conflict, Unauthenticated
from core.reference import tables

_ALGORITHM = "HS256"
# RFC 9106 low-memory profile (argon2-cffi's default) for service; "fast" only for tests, and a
# production configuration refuses it (core/config.py).
_HASHERS = {"standard": PasswordHasher(), "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)}
_DUMMY = {name: hasher.hash("not-a-real-password") for name, hasher in _HASHERS.items()}


def hash_password(password: str, profile: str = "standard") -> str:
    return _HASHERS[profile].hash(password)


def login_delay(failures: int, settings: Settings) -> float:
    """Seconds to wait before answering a failed login: grows after the slow-down threshold."""
    over = failures - settings.login_slowdown_after
    if over < 0:
        return 0.0
    return min(settings.login_delay_max_seconds, 0.25 * 2**over)


class AccountService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.users = UserRepository(database)
        self.settings = settings

    async def create_user(
        self, *, username: str, password: str, roles: list[Role], jurisdictions: list[str],
        inspector_id: str | None = None, display_name: str = "", replace: bool = False,
    ) -> User:
        unknown = [j for j in jurisdictions if j not in tables.divisions()]
        if unknown:
            raise Conflict(f"unknown jurisdiction {', '.join(unknown)}", code="UNKNOWN_JURISDICTION")
        if len(password) < 8:
            raise Conflict("password must have at least 8 characters", code="WEAK_PASSWORD")
        if not replace and await self.users.get(username):
            raise Conflict(f"user {username} already exists", code="USER_EXISTS")
        user = User(
            username=username, password_hash=hash_password(password, self.settings.password_hash_profile),
            roles=roles,
            jurisdictions=jurisdictions, inspector_id=inspector_id, display_name=display_name,
            created_at=datetime.now(UTC),
        )
        await self.users.upsert(user)
        return user

    async def authenticate(self, username: str, password: str) -> User:
        user = await self.users.get(username)
        now = datetime.now(UTC)
        if user is None or user.disabled:
            # Verifying against a dummy hash keeps unknown-user logins as slow as wrong-password ones.
            _verify(_DUMMY[self.settings.password_hash_profile], password)
            raise Unauthenticated("invalid username or password", code="INVALID_CREDENTIALS")
        if user.locked_until and user.locked_until > now:
            raise AccountLocked(f"account {username} is locked until {user.locked_until.isoformat()}")
        if not _verify(user.password_hash, password):
            failures = await self.users.record_failure(
                username, lock_after=self.settings.login_lock_after,
                locked_until=now + timedelta(minutes=self.settings.login_lock_minutes),
            )
            await asyncio.sleep(login_delay(failures, self.settings))
            if failures >= self.settings.login_lock_after:
                raise AccountLocked(f"account {username} is locked after repeated failed logins")
            raise Unauthenticated("invalid username or password", code="INVALID_CREDENTIALS")
        if user.failed_logins or user.locked_until:
            await self.users.record_success(username)
        return user

    def issue_tokens(self, user: User) -> dict[str, Any]:
        access_ttl = timedelta(minutes=self.settings.access_token_minutes)
        return {
            "access_token": self._token(user, "access", access_ttl),
            "refresh_token": self._token(user, "refresh", timedelta(days=self.settings.refresh_token_days)),
            "token_type": "bearer",
            "expires_in": int(access_ttl.total_seconds()),
        }

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        claims = self._decode(refresh_token, "refresh")
        user = await self.users.get(claims["sub"])
        if user is None or user.disabled or (user.locked_until and user.locked_until > datetime.now(UTC)):
            raise Unauthenticated("the account can no longer sign in", code="INVALID_TOKEN")
        return self.issue_tokens(user)

    def viewer_from_token(self, token: str | None) -> Viewer:
        if not token:
            return ANONYMOUS
        claims = self._decode(token, "access")
        return Viewer(
            username=claims["sub"], roles=frozenset(Role(r) for r in claims["roles"]),
            jurisdictions=tuple(claims["jur"]), inspector_id=claims.get("insp"),
        )

    def _token(self, user: User, kind: str, ttl: timedelta) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": user.username, "typ": kind, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
            "roles": [r.value for r in user.roles], "jur": user.jurisdictions,
            "insp": user.inspector_id,
        }
        return jwt.encode(claims, self.settings.secret_key, algorithm=_ALGORITHM)

    def _decode(self, token: str, kind: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, self.settings.secret_key, algorithms=[_ALGORITHM],
                                options={"require": ["exp", "sub", "typ"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired", code="TOKEN_EXPIRED") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the token is not valid", code="INVALID_TOKEN") from exc
        if claims.get("typ") != kind:
            raise Unauthenticated(f"expected an {kind} token", code="INVALID_TOKEN")
        return claims


def _verify(password_hash: str, password: str) -> bool:
    # The hash names its own parameters, so any profile's hasher verifies it.
    try:
        return _HASHERS["standard"].verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False
