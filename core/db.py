"""Database access: the embedded SecantusDB child process, the async client, schema set-up.

pymongo is imported here and in ``core/**/repository.py`` only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure, PyMongoError

from core.config import Settings

log = logging.getLogger(__name__)

_LISTENING = re.compile(r"listening on ([\d.]+):(\d+)")


# SecantusDB answers `$in` in time that grows with the square of the list (1,000 codes: 0.79 s;
# 10 × 100: 0.15 s, measured), so look-ups by many keys go in chunks. 100 keeps one page
# (first ≤ 100) to one round trip.
IN_CHUNK = 100


def chunks(values: list[Any], size: int = IN_CHUNK) -> list[list[Any]]:
    return [values[start:start + size] for start in range(0, len(values), size)]


class EmbeddedServerError(RuntimeError):
    """The embedded database could not start; the message names the cause in one line."""


@dataclass
class CollectionSpec:
    """A collection with its indexes and optional ``$jsonSchema`` validator."""

    name: str
    indexes: list[IndexModel] = field(default_factory=list)
    json_schema: dict[str, Any] | None = None


class EmbeddedServer:
    """SecantusDB run as a child process on loopback, data kept in ``storage_path``."""

    def __init__(self, storage_path: Path, *, port: int = 0, timeout_s: float = 30.0) -> None:
        self.storage_path = storage_path
        self.port = port
        self.timeout_s = timeout_s
        self.log_path = storage_path.parent / "db.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self.uri: str | None = None

    def start(self) -> str:
        self.storage_path.mkdir(parents=True, exist_ok=True)
        # Append, so that a refused second start does not wipe a running server's log; only what
        # this start writes (after ``self._log_offset``) is read.
        log_file = self.log_path.open("ab")
        self._log_offset = log_file.tell()
        command = [
            sys.executable, "-m", "secantus", "--host", "127.0.0.1",
            "--port", str(self.port), "--storage-path", str(self.storage_path),
        ]
        # The child runs in the data directory's parent so that no stray secantusd.toml
        # in the caller's working directory changes its configuration.
        self._process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, cwd=self.storage_path.parent,
            start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            text = self._read_log()
            if self._process.poll() is not None:
                raise EmbeddedServerError(self._explain_exit(text))
            match = _LISTENING.search(text)
            if match:
                self.uri = f"mongodb://127.0.0.1:{match.group(2)}/?directConnection=true"
                log.info("embedded database listening", extra={"uri": self.uri})
                return self.uri
            time.sleep(0.05)
        self.stop()
        raise EmbeddedServerError(
            f"embedded database did not start within {self.timeout_s:.0f}s (log: {self.log_path})"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _read_log(self) -> str:
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(self._log_offset)
                return handle.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _explain_exit(self, text: str) -> str:
        if "Address already in use" in text:
            return f"embedded database: port {self.port} on 127.0.0.1 is already in use"
        if "resource busy" in text or "WiredTiger.lock" in text or "Resource temporarily" in text:
            return (
                f"embedded database: data directory {self.storage_path} is locked by another "
                "running server (stop it, or set ECOINSPECT_DATA_DIR to another directory)"
            )
        if "Permission denied" in text:
            return f"embedded database: permission denied on {self.storage_path}"
        last = next((line for line in reversed(text.strip().splitlines()) if line.strip()), "")
        return f"embedded database exited during start-up: {last} (log: {self.log_path})"


class Database:
    """The async client and the application database, owned by the app's lifespan."""

    def __init__(
        self, uri: str, name: str, *, embedded: EmbeddedServer | None = None,
        event_listeners: list[Any] | None = None,
    ) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, tz_aware=True, uuidRepresentation="standard", event_listeners=event_listeners or []
        )
        self.db: AsyncDatabase[dict[str, Any]] = self.client[name]
        self.embedded = embedded

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        if settings.mongodb_uri:
            return cls(settings.mongodb_uri, settings.database_name)
        port = int(os.environ.get("ECOINSPECT_EMBEDDED_DB_PORT", "0"))
        server = EmbeddedServer(
            settings.db_dir.resolve(), port=port, timeout_s=settings.embedded_start_timeout_s
        )
        uri = server.start()
        return cls(uri, settings.database_name, embedded=server)

    def __getitem__(self, name: str) -> Any:
        return self.db[name]

    def start_session(self) -> Any:
        return self.client.start_session()

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
        except PyMongoError:
            return False
        return True

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not await self.ping():
            if time.monotonic() > deadline:
                raise EmbeddedServerError("database did not answer a ping in time")
            await asyncio.sleep(0.1)

    async def ensure_schema(self, specs: Iterable[CollectionSpec]) -> None:
        """Create collections, validators and indexes; safe to run at every start."""
        existing = set(await self.db.list_collection_names())
        for spec in specs:
            validator = {"$jsonSchema": spec.json_schema} if spec.json_schema else None
            if spec.name not in existing:
                try:
                    await self.db.create_collection(spec.name, **({"validator": validator} if validator else {}))
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
            "server": "SecantusDB (embedded)" if self.embedded else "MongoDB",
            "version": info.get("version"),
            "replica_set": hello.get("setName"),
            "database": self.db.name,
            "collections": counts,
        }

    async def close(self) -> None:
        await self.client.close()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)


def lost_race(exc: BaseException) -> bool:
    """A duplicate key, a write conflict or an aborted transaction: another writer got there first.

    Services catch these outside their transaction (an error inside one aborts it) and read what the
    other writer stored.
    """
    if isinstance(exc, DuplicateKeyError):
        return True
    return isinstance(exc, OperationFailure) and (exc.has_error_label("TransientTransactionError")
                                                  or exc.code in (112, 251))  # WriteConflict, NoSuchTransaction
