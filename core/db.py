"""Database access: the async client, schema set-up, and which errors mean "the database is unreachable".

pymongo is imported here and in ``core/**/repository.py`` only. The embedded SecantusDB child lives in
``core/embedded.py`` (re-exported here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pymongo
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError

from core.config import Settings
from core.datadir import running_address
from core.embedded import EmbeddedServer, EmbeddedServerError
from core.error_codes import ErrorCode
from core.errors import Conflict, Unavailable

__all__ = ["IN_CHUNK", "UNAVAILABLE_ERRORS", "CollectionSpec", "Database", "EmbeddedServer", "EmbeddedServerError",
           "ServerProfile",
           "DUPLICATE_KEY", "TRANSACTION_ATTEMPTS", "TransactionBusy", "chunks", "is_duplicate_key",
           "is_unavailable", "lost_race"]
log = logging.getLogger(__name__)


# SecantusDB answers `$in` in time that grows with the square of the list (1,000 codes: 0.79 s;
# 10 × 100: 0.15 s, measured), so look-ups by many keys go in chunks. 100 keeps one page
# (first ≤ 100) to one round trip.
IN_CHUNK = 100
# The server's code for a unique-index violation; named here once.
DUPLICATE_KEY = 11000
# How many times ``Database.transaction`` runs a unit (and, separately, retries its commit) before giving up.
TRANSACTION_ATTEMPTS = 5
T = TypeVar("T")


@dataclass(frozen=True)
class ServerProfile:
    """The one capability check: is the server SecantusDB (buildInfo carries ``secantusVersion``) or MongoDB?

    Workarounds for SecantusDB that would cost something on MongoDB consult this instead of being unconditional
    (the list, and those kept on both servers because they are correct and cheap on MongoDB too, is in
    docs/operations.md, "SecantusDB workarounds"). Until the server answered (``Database.wait_ready``), the
    profile is SecantusDB's: its workarounds are correct on MongoDB, only slower.
    """

    secantus: bool = True
    version: str | None = None

    @property
    def limit_pushdown(self) -> bool:
        """A range query with ``limit`` stops at the limit (MongoDB); SecantusDB reads the whole range first."""
        return not self.secantus


class TransactionBusy(Conflict):
    """Coded and retryable: the transaction kept meeting other writers; nothing of it was kept."""

    code = ErrorCode.TRANSACTION_BUSY


def chunks(values: list[Any], size: int = IN_CHUNK) -> list[list[Any]]:
    return [values[start:start + size] for start in range(0, len(values), size)]


@dataclass
class CollectionSpec:
    """A collection with its indexes and optional ``$jsonSchema`` validator."""

    name: str
    indexes: list[IndexModel] = field(default_factory=list)
    json_schema: dict[str, Any] | None = None


class Database:
    """The async client and the application database, owned by the app's lifespan."""

    def __init__(
        self, uri: str, name: str, *, embedded: EmbeddedServer | None = None,
        event_listeners: list[Any] | None = None, server_selection_timeout_ms: int | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        # pymongo lets a keyword override the URI; here a serverSelectionTimeoutMS the operator put in the URI stands.
        if server_selection_timeout_ms is not None and "serverselectiontimeoutms" not in uri.lower():
            options["serverSelectionTimeoutMS"] = server_selection_timeout_ms
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, tz_aware=True, uuidRepresentation="standard", event_listeners=event_listeners or [], **options
        )
        self.db: AsyncDatabase[dict[str, Any]] = self.client[name]
        self.embedded = embedded
        self.attached = False  # the embedded database of a running server (``from_settings(attach=True)``)
        self.profile = ServerProfile()

    @classmethod
    def from_settings(cls, settings: Settings, *, attach: bool = False) -> Database:
        """The configured database. Embedded: the server starts its own and publishes its address in the data
        directory; with ``attach`` (the command line) a running server's database is used when one is published,
        and a database of its own (unpublished) is started only when none is."""
        timeout_ms = settings.db_server_selection_timeout_ms
        if settings.mongodb_uri:
            return cls(settings.mongodb_uri, settings.database_name, server_selection_timeout_ms=timeout_ms)
        published = running_address(settings.db_dir.resolve()) if attach else None
        if published is not None:
            database = cls(published, settings.database_name, server_selection_timeout_ms=timeout_ms)
            database.attached = True
            return database
        server = EmbeddedServer(
            settings.db_dir.resolve(), port=settings.embedded_db_port, timeout_s=settings.embedded_start_timeout_s,
            sync_on_commit=settings.db_sync_on_commit, publish=not attach,
        )
        uri = server.start()
        return cls(uri, settings.database_name, embedded=server, server_selection_timeout_ms=timeout_ms)

    def __getitem__(self, name: str) -> AsyncCollection[dict[str, Any]]:
        return self.db[name]

    def start_session(self) -> AsyncClientSession:
        return self.client.start_session()

    async def transaction(self, work: Callable[[Any], Awaitable[T]], *, attempts: int = TRANSACTION_ATTEMPTS) -> T:
        """Run ``work(session)`` in one transaction, with pymongo's ``with_transaction`` retry semantics.

        A TransientTransactionError (write conflict, aborted transaction) reruns the whole unit; an
        UnknownTransactionCommitResult retries the commit alone (committing twice is safe). Both are
        bounded by ``attempts``; past it a ``TransactionBusy`` is raised. Other errors abort and propagate,
        so ``work`` must only write through ``session`` and may run more than once.
        """
        last: PyMongoError | None = None
        async with self.client.start_session() as session:
            for attempt in range(attempts):
                await session.start_transaction()
                try:
                    result = await work(session)
                except BaseException as exc:
                    if session.in_transaction:
                        await session.abort_transaction()
                    if isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError"):
                        last = exc
                        await asyncio.sleep(0.005 * (attempt + 1))  # let the other writer finish
                        continue
                    raise
                try:
                    await _commit(session, attempts)
                except PyMongoError as exc:
                    if not exc.has_error_label("TransientTransactionError"):
                        raise
                    last = exc
                    continue
                return result
        raise TransactionBusy(f"the transaction met other writers {attempts} times; retry") from last

    async def ping(self, timeout_s: float | None = None) -> bool:
        """Whether the database answers, within ``timeout_s`` if given (server selection included)."""
        if self.embedded is not None and self.embedded.crashed:
            return False  # known down: no need to wait for a timeout to say so
        try:
            with pymongo.timeout(timeout_s) if timeout_s is not None else contextlib.nullcontext():
                await self.client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until the server answers, then read which server it is (``profile``)."""
        deadline = time.monotonic() + timeout_s
        while not await self.ping():
            if time.monotonic() > deadline:
                raise EmbeddedServerError("database did not answer a ping in time")
            await asyncio.sleep(0.1)
        info = await self.client.server_info()
        self.profile = ServerProfile(secantus="secantusVersion" in info, version=info.get("version"))

    async def ensure_schema(self, specs: Iterable[CollectionSpec]) -> None:
        """Create collections, validators and indexes; safe to run at every start."""
        existing = set(await self.db.list_collection_names())
        for spec in specs:
            validator = {"$jsonSchema": spec.json_schema} if spec.json_schema else None
            if spec.name not in existing:
                options: dict[str, Any] = {"validator": validator} if validator else {}
                try:
                    await self.db.create_collection(spec.name, **options)
                except CollectionInvalid:
                    pass
            elif validator:
                await self.db.command({"collMod": spec.name, "validator": validator})
            if spec.indexes:
                try:
                    await self.db[spec.name].create_indexes(spec.indexes)
                except OperationFailure as exc:
                    raise RuntimeError(f"index set-up failed on {spec.name}: {exc}") from exc

    async def status(self) -> dict[str, Any]:
        info = await self.client.server_info()
        hello = await self.client.admin.command("hello")
        counts = {}
        for name in sorted(await self.db.list_collection_names()):
            counts[name] = await self.db[name].count_documents({})
        return {
            "server": "SecantusDB (embedded)" if self.embedded else
                      "SecantusDB (embedded, the running server's)" if self.attached else
                      "SecantusDB" if "secantusVersion" in info else "MongoDB",
            "version": info.get("version"),
            "replica_set": hello.get("setName"),
            "database": self.db.name,
            "collections": counts,
        }

    async def close(self) -> None:
        await self.client.close()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)


async def _commit(session: Any, attempts: int) -> None:
    """Commit, retrying while the outcome is unknown; past the bound raise ``Unavailable``."""
    for attempt in range(attempts):
        try:
            await session.commit_transaction()
            return
        except PyMongoError as exc:
            if not exc.has_error_label("UnknownTransactionCommitResult"):
                raise
            if attempt + 1 >= attempts:  # coded: the client retries with the same ids, which is safe
                raise Unavailable("the database did not confirm the commit; retry") from exc


def is_duplicate_key(exc: BaseException) -> bool:
    """A unique index refused the write (alone or as one of a bulk write's errors)."""
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, OperationFailure) and exc.code == DUPLICATE_KEY:
        return True
    details = getattr(exc, "details", None) or {}
    return isinstance(details, dict) and any(e.get("code") == DUPLICATE_KEY for e in details.get("writeErrors", []))


def lost_race(exc: BaseException) -> bool:
    """A duplicate key, a write conflict or an aborted transaction: another writer got there first.

    Services catch these outside their transaction (an error inside one aborts it) and read what the
    other writer stored.
    """
    if isinstance(exc, TransactionBusy) or is_duplicate_key(exc):  # a bulk insert's duplicate counts too
        return True
    return isinstance(exc, OperationFailure) and (exc.has_error_label("TransientTransactionError")
                                                  or exc.code in (112, 251))  # WriteConflict, NoSuchTransaction


def commit_unknown(exc: BaseException) -> bool:
    """The commit may or may not have landed: safe to retry only work that is idempotent."""
    return isinstance(exc, PyMongoError) and exc.has_error_label("UnknownTransactionCommitResult")


# Server states that mean "no usable server right now" when an operation reaches one anyway:
# ShutdownInProgress, InterruptedAtShutdown, InterruptedDueToReplStateChange, PrimarySteppedDown,
# NotWritablePrimary, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
_UNAVAILABLE_CODES = frozenset({91, 11600, 11602, 189, 10107, 13435, 13436})
# The exception classes an HTTP handler registers for; ``is_unavailable`` decides within them.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (ConnectionFailure, OperationFailure, Unavailable)


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached (down, restarting, no primary): answer UNAVAILABLE, not a fault.

    pymongo's ConnectionFailure covers AutoReconnect, NetworkTimeout, NotPrimaryError and
    ServerSelectionTimeoutError. An operation that failed so may or may not have been applied: clients
    retry with the same ids, which the idempotency keys make safe. Errors raised ``from`` one count too.
    """
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, ConnectionFailure | Unavailable):
            return True
        if isinstance(seen, OperationFailure) and seen.code in _UNAVAILABLE_CODES:
            return True
        seen = seen.__cause__
    return False
