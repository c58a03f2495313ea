"""Accounts kept for a few seconds, so that each request checks its token's account without a round trip."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from core.accounts.models import User

# Every username a valid token can name is a real account, so the table stays small; the bound
# only guards memory should that ever stop being true.
_MAX_ENTRIES = 10_000


class AccountCache:
    """Username → account (or None) for ``ttl`` seconds; ``forget`` drops one at once."""

    def __init__(self, load: Callable[[str], Awaitable[User | None]], ttl: float) -> None:
        self._load = load
        self._ttl = ttl
        self._entries: dict[str, tuple[float, User | None]] = {}
        self._forgets = 0

    async def get(self, username: str) -> User | None:
        now = time.monotonic()
        found = self._entries.get(username)
        if found is not None and found[0] > now:
            return found[1]
        forgets = self._forgets
        user = await self._load(username)
        # A load that overlapped a ``forget`` may have read the old account: do not keep it.
        if self._ttl > 0 and forgets == self._forgets:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[username] = (now + self._ttl, user)
        return user

    def forget(self, username: str) -> None:
        self._forgets += 1
        self._entries.pop(username, None)
