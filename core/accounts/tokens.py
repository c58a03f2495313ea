"""JWT access and refresh tokens: signing, checking the signature and kind, and whether the account still holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from core.accounts.models import User
from core.accounts.secret import signing_secret
from core.config import Settings
from core.error_codes import ErrorCode
from core.errors import Unauthenticated

_ALGORITHM = "HS256"


class TokenSigner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secret: str | None = None

    @property
    def secret(self) -> str:
        # Resolved on first use: an account service that never signs (the CLI) creates no secret file.
        if self._secret is None:
            self._secret = signing_secret(self.settings)
        return self._secret

    def issue(self, user: User) -> dict[str, Any]:
        access_ttl = timedelta(minutes=self.settings.access_token_minutes)
        return {
            "access_token": self._token(user, "access", access_ttl),
            "refresh_token": self._token(user, "refresh", timedelta(days=self.settings.refresh_token_days)),
            "token_type": "bearer",
            "expires_in": int(access_ttl.total_seconds()),
        }

    def decode(self, token: str, kind: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(token, self.secret, algorithms=[_ALGORITHM],
                                                options={"require": ["exp", "sub", "typ"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired", code=ErrorCode.TOKEN_EXPIRED) from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("the token is not valid", code=ErrorCode.INVALID_TOKEN) from exc
        if claims.get("typ") != kind:
            raise Unauthenticated(f"expected an {kind} token", code=ErrorCode.INVALID_TOKEN)
        return claims

    def _token(self, user: User, kind: str, ttl: timedelta) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": user.username, "typ": kind, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
            "gen": user.token_generation,
            # Informational for clients: the server reads roles and scope from the stored account.
            "roles": [r.value for r in user.roles], "jur": user.jurisdictions, "insp": user.inspector_id,
        }
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)


def still_valid(user: User | None, claims: dict[str, Any]) -> User:
    """The account a token names, if it still exists, is enabled, and has not revoked the token."""
    if user is None or user.disabled:
        raise Unauthenticated("the account of this token can no longer sign in", code=ErrorCode.INVALID_TOKEN)
    if claims.get("gen", "") != user.token_generation:
        raise Unauthenticated("the token has been revoked; sign in again", code=ErrorCode.INVALID_TOKEN)
    return user
