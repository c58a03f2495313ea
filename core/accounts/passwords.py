"""Password hashing (argon2) and the answer delay after failed logins."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from core.config import Settings
from core.error_codes import ErrorCode
from core.errors import Conflict

# RFC 9106 low-memory profile (argon2-cffi's default) for service; "fast" only for tests, and a
# production configuration refuses it (core/config.py).
_HASHERS = {"standard": PasswordHasher(), "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)}
_DUMMY = {name: hasher.hash("not-a-real-password") for name, hasher in _HASHERS.items()}
MIN_LENGTH = 8


def hash_password(password: str, profile: str = "standard") -> str:
    return _HASHERS[profile].hash(password)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Conflict(f"password must have at least {MIN_LENGTH} characters", code=ErrorCode.WEAK_PASSWORD)


def verify_password(password_hash: str, password: str) -> bool:
    # The hash names its own parameters, so any profile's hasher verifies it.
    try:
        return _HASHERS["standard"].verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


async def verify_off_loop(password_hash: str | None, password: str, profile: str) -> bool:
    """Verify in a worker thread (argon2 takes ~0.1 s); no hash means verify a dummy, as slowly, and fail."""
    if password_hash is None:
        # Unknown and disabled accounts cost the same time as a wrong password, so timing reveals nothing.
        await asyncio.to_thread(verify_password, _DUMMY[profile], password)
        return False
    return await asyncio.to_thread(verify_password, password_hash, password)


async def hash_off_loop(password: str, profile: str) -> str:
    return await asyncio.to_thread(hash_password, password, profile)


def login_delay(failures: int, settings: Settings) -> float:
    """Seconds to wait before answering a failed login: grows after the slow-down threshold."""
    over = failures - settings.login_slowdown_after
    if over < 0:
        return 0.0
    return float(min(settings.login_delay_max_seconds, 0.25 * 2**over))
