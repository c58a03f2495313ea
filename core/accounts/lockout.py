"""Login lock-out: attempts counted atomically per client address, per account and address, per account.

Each attempt is counted (as pending) before its password is checked, and the returned count
decides, so concurrent guesses cannot outrun a lock: an attempt that would pass a limit only
because of attempts still being checked waits for their outcome (failures lock, successes make
room); one past it on failures alone is refused, and a locked attempt checks no password. Three
counters, in this order (a refusal stops before the next is counted):

- address (any account): ``LOGIN_ADDRESS_LOCK_AFTER`` failures in ``LOGIN_LOCK_MINUTES`` stop that
  address for ``LOGIN_LOCK_MINUTES`` (``TOO_MANY_ATTEMPTS``); a success gives its attempt back.
- account and address: ``LOGIN_LOCK_AFTER`` failures lock that account *from that address* for
  ``LOGIN_LOCK_MINUTES`` (``ACCOUNT_LOCKED``); the same user elsewhere is not affected. A success resets it.
- account (any address): ``LOGIN_ACCOUNT_LOCK_AFTER`` failures lock the account everywhere, briefly,
  for ``LOGIN_ACCOUNT_LOCK_MINUTES`` (``ACCOUNT_LOCKED``): only a guess spread over many addresses
  gets there. A success resets it.

Unknown usernames are counted the same way, so a lock reveals nothing about which accounts exist.
See docs/operations.md, "Login lock-out policy".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.accounts.repository import ThrottleRepository
from core.config import Settings
from core.db import Database
from core.errors import AccountLocked, DomainError, TooManyAttempts

_KEY_CHARS = 64  # usernames have at most 40 characters; longer input cannot name an account
# How long an attempt waits for the outcome of concurrent ones when they fill the limit.
_WAIT_SECONDS, _WAITS = 0.05, 100


@dataclass(frozen=True)
class Scope:
    kind: str  # "address", "pair" or "account"
    key: str
    limit: int
    window: timedelta
    lock: timedelta

    def refusal(self, until: datetime) -> DomainError:
        when = until.strftime("%H:%M:%S UTC")
        if self.kind == "address":
            return TooManyAttempts(f"too many failed logins from this address; try again after {when}")
        return AccountLocked(f"this account is locked after repeated failed logins; try again after {when}")


@dataclass(frozen=True)
class Admission:
    """The scopes this attempt is counted under, for its outcome to settle."""

    scopes: tuple[Scope, ...]


@dataclass(frozen=True)
class Failure:
    refusal: DomainError | None  # a lock this failure brought about, or None
    failures: int  # consecutive failures of this account from this address


class LoginThrottle:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.counters = ThrottleRepository(database)
        self.settings = settings

    def scopes(self, username: str, address: str) -> list[Scope]:
        s, name = self.settings, username[:_KEY_CHARS]
        window = timedelta(minutes=s.login_lock_minutes)
        return [
            Scope("address", f"addr:{address}", s.login_address_lock_after, window, window),
            Scope("pair", f"pair:{name}:{address}", s.login_lock_after, window, window),
            Scope("account", f"acct:{name}", s.login_account_lock_after, window,
                  timedelta(minutes=s.login_account_lock_minutes)),
        ]

    async def admit(self, username: str, address: str) -> Admission:
        """Count this attempt under each scope; raise the refusal if a lock holds or it would pass a limit."""
        entered: list[Scope] = []
        for scope in self.scopes(username, address):
            try:
                await self._enter(scope)
            except DomainError:
                # A refused attempt still counts against the scopes before (it burns the address's budget).
                for earlier in entered:
                    await self.counters.settle(earlier.key, now=datetime.now(UTC), counted=True)
                raise
            entered.append(scope)
        return Admission(tuple(entered))

    async def _enter(self, scope: Scope) -> None:
        for _ in range(_WAITS):
            now = datetime.now(UTC)
            counter = await self.counters.reserve(scope.key, now=now, window=scope.window)
            if counter.locked_until is not None:
                await self.counters.settle(scope.key, now=now, counted=True)
                raise scope.refusal(counter.locked_until)
            if counter.attempts <= scope.limit:
                return
            # Past the limit only with the attempts still being checked: give this one back and wait
            # for their outcome (successes free room; failures lock), so the limit bounds the checks.
            settled = await self.counters.settle(scope.key, now=now, counted=False)
            if settled.failures >= scope.limit:
                await self.counters.lock(scope.key, now=now, until=now + scope.lock)
                raise scope.refusal(now + scope.lock)
            await asyncio.sleep(_WAIT_SECONDS)
        raise scope.refusal(datetime.now(UTC) + timedelta(seconds=_WAIT_SECONDS))

    async def failed(self, admission: Admission) -> Failure:
        """Count the failure under each scope and lock those it brings to their limit."""
        refusals: list[DomainError] = []
        pair_failures = 0
        for scope in admission.scopes:
            now = datetime.now(UTC)
            counter = await self.counters.settle(scope.key, now=now, counted=True)
            pair_failures = counter.failures if scope.kind == "pair" else pair_failures
            if counter.locked_until is None and counter.failures >= scope.limit:
                await self.counters.lock(scope.key, now=now, until=now + scope.lock)
                refusals.append(scope.refusal(now + scope.lock))
        # An account lock says more to the user than an address lock.
        refusals.sort(key=lambda error: not isinstance(error, AccountLocked))
        return Failure(refusals[0] if refusals else None, pair_failures)

    async def succeeded(self, admission: Admission) -> None:
        """Give the attempt back; the account's consecutive failures start again from zero."""
        for scope in admission.scopes:
            now = datetime.now(UTC)
            await self.counters.settle(scope.key, now=now, counted=False)
            if scope.kind != "address":  # an address's failures are not forgiven by one success
                await self.counters.forget_failures(scope.key, now=now)

    async def unlock(self, username: str) -> None:
        """Lift the account's locks, from every address (an administrator's decision)."""
        name = username[:_KEY_CHARS]
        await self.counters.clear([f"acct:{name}"], prefixes=[f"pair:{name}:"])
