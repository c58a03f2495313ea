"""Integration tests for the embedded SecantusDB child process and Database.ensure_schema."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from pymongo import ASCENDING, IndexModel, MongoClient, WriteConcern
from pymongo.errors import DuplicateKeyError, WriteError

from core.datadir import wait_gone
from core.db import CollectionSpec, Database, EmbeddedServer, EmbeddedServerError

MakeServer = Callable[[Path], EmbeddedServer]


@pytest.fixture
def make_server() -> Iterator[MakeServer]:
    """Build EmbeddedServers that are always stopped at the end of the test."""
    servers: list[EmbeddedServer] = []

    def make(storage_path: Path, port: int = 0) -> EmbeddedServer:
        server = EmbeddedServer(storage_path, port=port, timeout_s=60)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def port_of(uri: str) -> int:
    port = urlsplit(uri).port
    assert port is not None
    return port


def ping(uri: str) -> float:
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        return float(client.admin.command("ping")["ok"])


def secantus_children(storage_path: Path) -> list[psutil.Process]:
    """Live child processes running SecantusDB on ``storage_path``."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            cmdline = child.cmdline()
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.NoSuchProcess:
            continue
        if any("secantus" in part for part in cmdline) and str(storage_path) in cmdline:
            found.append(child)
    return found


def refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(5)
        return probe.connect_ex(("127.0.0.1", port)) != 0


# --- the process ----------------------------------------------------------------------------


def test_start_on_port_0_returns_a_working_uri(make_server: MakeServer, tmp_path: Path) -> None:
    storage = tmp_path / "one" / "data"
    server = make_server(storage)
    assert not server.running
    uri = server.start()
    assert uri.startswith("mongodb://127.0.0.1:")
    assert "directConnection=true" in uri
    assert port_of(uri) > 0
    assert server.uri == uri
    assert server.running
    assert ping(uri) == 1.0
    assert storage.is_dir()
    assert "listening on" in (tmp_path / "one" / "db.log").read_text()
    assert len(secantus_children(storage)) == 1


def test_data_survives_stop_and_restart(make_server: MakeServer, tmp_path: Path) -> None:
    storage = tmp_path / "keep" / "data"
    first = make_server(storage)
    with MongoClient(first.start(), serverSelectionTimeoutMS=10_000) as client:
        client["survival"]["things"].insert_one({"_id": "kept", "value": 42})
    first.stop()
    assert not first.running
    assert secantus_children(storage) == []

    second = make_server(storage)
    with MongoClient(second.start(), serverSelectionTimeoutMS=10_000) as client:
        assert client["survival"]["things"].find_one({"_id": "kept"}) == {"_id": "kept", "value": 42}
        assert client["survival"]["things"].count_documents({}) == 1


@pytest.mark.parametrize("how", ["same-path", "symlinked-path"])
def test_second_server_on_a_locked_directory_fails_in_one_line(
    make_server: MakeServer, tmp_path: Path, how: str
) -> None:
    storage = tmp_path / "first" / "data"
    first = make_server(storage)
    uri = first.start()
    if how == "same-path":
        other = storage
    else:
        # Same data directory reached through another parent, so each server has its own log.
        (tmp_path / "second").mkdir()
        other = tmp_path / "second" / "data"
        other.symlink_to(storage, target_is_directory=True)
    second = make_server(other)
    with pytest.raises(EmbeddedServerError) as info:
        second.start()
    message = str(info.value)
    assert "locked" in message
    assert str(other) in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert not second.running
    # The running server is unaffected.
    assert first.running
    assert ping(uri) == 1.0
    assert len(secantus_children(storage)) == 1


def test_port_bound_by_another_socket_is_reported(make_server: MakeServer, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = make_server(tmp_path / "busy" / "data", port=port)
        with pytest.raises(EmbeddedServerError) as info:
            server.start()
    message = str(info.value)
    assert "already in use" in message
    assert str(port) in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert not server.running


def test_port_of_a_running_server_is_reported(make_server: MakeServer, tmp_path: Path) -> None:
    first = make_server(tmp_path / "a" / "data")
    port = port_of(first.start())
    second = make_server(tmp_path / "b" / "data", port=port)
    with pytest.raises(EmbeddedServerError) as info:
        second.start()
    assert "already in use" in str(info.value)
    assert str(port) in str(info.value)
    assert first.running


def test_explicit_free_port_is_used(make_server: MakeServer, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server(tmp_path / "fixed" / "data", port=port)
    assert port_of(server.start()) == port


def test_stop_is_idempotent_and_the_process_is_gone(make_server: MakeServer, tmp_path: Path) -> None:
    storage = tmp_path / "stop" / "data"
    server = make_server(storage)
    server.stop()  # never started: nothing to do
    uri = server.start()
    (child,) = secantus_children(storage)
    pid = child.pid
    server.stop()
    assert not server.running
    assert not psutil.pid_exists(pid)
    assert secantus_children(storage) == []
    assert refuses_connections(port_of(uri))
    server.stop()
    server.stop()
    assert not server.running


def test_restart_after_stop_on_the_same_object(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(tmp_path / "again" / "data")
    server.start()
    server.stop()
    uri = server.start()
    assert server.running
    assert ping(uri) == 1.0


def test_restart_after_a_crash_reuses_the_port_and_keeps_the_data(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(tmp_path / "crash" / "data")
    uri = server.start()
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        # Journaled: without j, SecantusDB flushes its log a moment later, and a SIGKILL before then loses the write.
        client["survival"].get_collection("things", write_concern=WriteConcern(j=True)).insert_one({"_id": "kept"})
    assert not server.crashed
    psutil.Process(server.pid).kill()
    psutil.Process(server.pid).wait(timeout=30)
    assert server.crashed and not server.running
    assert server.restart() == uri  # the same port: a client's URI stays valid
    assert server.running and not server.crashed
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        assert client["survival"]["things"].find_one({"_id": "kept"}) == {"_id": "kept"}
    server.stop()
    assert not server.crashed
    assert server.restart() is None  # stopped on purpose: nothing to restart


# --- ownership of the data directory, and the parent's death ------------------------------------

ROOT = Path(__file__).resolve().parents[2]
OWNER = """
import sys, time
from pathlib import Path
from core.embedded import EmbeddedServer
server = EmbeddedServer(Path(sys.argv[1]), timeout_s=60)
print(server.start(), server.pid, flush=True)
time.sleep(600)
"""


class Owner:
    """Another process that starts the embedded server on ``storage`` and keeps it running."""

    def __init__(self, storage: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", OWNER, str(storage)], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().split()
        assert len(line) == 2, "the owner process did not start its database"
        self.uri, self.child = line[0], psutil.Process(int(line[1]))

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def owners() -> Iterator[Callable[[Path], Owner]]:
    started: list[Owner] = []

    def make(storage: Path) -> Owner:
        started.append(Owner(storage))
        return started[-1]

    yield make
    for owner in started:
        owner.kill()
        with contextlib.suppress(psutil.NoSuchProcess):
            owner.child.kill()


def test_the_database_dies_with_its_killed_parent(owners: Callable[[Path], Owner], tmp_path: Path) -> None:
    owner = owners(tmp_path / "orphan" / "data")
    assert ping(owner.uri) == 1.0
    assert owner.child.ppid() == owner.process.pid
    owner.kill()  # SIGKILL: the parent gets no chance to stop its child
    assert wait_gone(owner.child, 30), "the database outlived its killed parent"


def test_start_right_after_the_owner_was_killed_is_not_refused(
    owners: Callable[[Path], Owner], make_server: MakeServer, tmp_path: Path
) -> None:
    storage = tmp_path / "restart" / "data"
    owner = owners(storage)
    with MongoClient(owner.uri, serverSelectionTimeoutMS=10_000) as client:
        client["survival"]["things"].insert_one({"_id": "kept"})
    owner.kill()
    server = make_server(storage)
    with MongoClient(server.start(), serverSelectionTimeoutMS=10_000) as client:
        assert client["survival"]["things"].find_one({"_id": "kept"}) == {"_id": "kept"}
    assert wait_gone(owner.child, 1)


def test_a_database_left_running_by_a_dead_owner_is_stopped_at_start(
    owners: Callable[[Path], Owner], make_server: MakeServer, tmp_path: Path
) -> None:
    storage = tmp_path / "stale" / "data"
    owner = owners(storage)
    # Frozen, its watchdog cannot act: the orphan keeps the data directory, as one from a release without
    # the watchdog would.
    owner.child.suspend()
    owner.kill()
    assert not wait_gone(owner.child, 0.5)
    record = json.loads((storage / "ecoinspect.lock").read_text())
    assert record["pid"] == owner.process.pid and record["child_pid"] == owner.child.pid
    server = make_server(storage)
    uri = server.start()
    assert wait_gone(owner.child, 1)
    assert ping(uri) == 1.0
    record = json.loads((storage / "ecoinspect.lock").read_text())
    assert record["pid"] == os.getpid() and record["child_pid"] == server.pid


def test_a_live_owner_in_another_process_is_refused_in_one_line(
    owners: Callable[[Path], Owner], make_server: MakeServer, tmp_path: Path
) -> None:
    storage = tmp_path / "live" / "data"
    owner = owners(storage)
    second = make_server(storage)
    with pytest.raises(EmbeddedServerError) as info:
        second.start()
    message = str(info.value)
    assert "locked by another running server" in message and f"pid {owner.process.pid}" in message
    assert "\n" not in message
    assert not second.running
    assert ping(owner.uri) == 1.0  # untouched
    assert owner.child.is_running() and owner.child.status() != psutil.STATUS_STOPPED


# --- Database.ensure_schema -----------------------------------------------------------------

SCHEMA = {
    "bsonType": "object",
    "required": ["code", "count"],
    "properties": {"code": {"bsonType": "string"}, "count": {"bsonType": "int", "minimum": 0}},
}


def spec(json_schema: dict[str, object] | None = SCHEMA) -> CollectionSpec:
    return CollectionSpec(
        name="things",
        indexes=[IndexModel([("code", ASCENDING)], unique=True, name="code_unique")],
        json_schema=json_schema,
    )


@pytest.fixture(scope="module")
def schema_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedServer(tmp_path_factory.mktemp("schema") / "data", timeout_s=60)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
async def database(schema_server: str) -> AsyncIterator[Database]:
    name = f"schema_{uuid.uuid4().hex[:10]}"
    db = Database(schema_server, name)
    try:
        yield db
    finally:
        await db.client.drop_database(name)
        await db.client.close()


async def test_ensure_schema_is_idempotent(database: Database) -> None:
    await database.ensure_schema([spec()])
    await database.ensure_schema([spec()])
    assert await database.db.list_collection_names() == ["things"]
    info = await (await database.db.list_collections(filter={"name": "things"})).to_list()
    assert info[0]["options"]["validator"] == {"$jsonSchema": SCHEMA}
    indexes = await database["things"].index_information()
    assert set(indexes) == {"_id_", "code_unique"}
    assert indexes["code_unique"]["unique"] is True
    assert await database.ping() is True


async def test_validator_refuses_bad_documents(database: Database) -> None:
    await database.ensure_schema([spec()])
    await database.ensure_schema([spec()])
    await database["things"].insert_one({"code": "A", "count": 1})
    for bad in ({"code": "B"}, {"code": "C", "count": -1}, {"code": 7, "count": 1}):
        with pytest.raises(WriteError) as info:
            await database["things"].insert_one(bad)
        assert info.value.code == 121
    assert await database["things"].count_documents({}) == 1


async def test_unique_index_refuses_duplicates(database: Database) -> None:
    await database.ensure_schema([spec()])
    await database["things"].insert_one({"code": "A", "count": 1})
    await database.ensure_schema([spec()])  # re-running keeps the index and the data
    with pytest.raises(DuplicateKeyError):
        await database["things"].insert_one({"code": "A", "count": 2})
    assert await database["things"].count_documents({}) == 1


async def test_ensure_schema_updates_the_validator_of_an_existing_collection(
    database: Database,
) -> None:
    await database.ensure_schema([spec(json_schema=None)])
    await database["things"].insert_one({"code": "free"})  # no validator yet
    await database.ensure_schema([spec()])
    with pytest.raises(WriteError):
        await database["things"].insert_one({"code": "B"})
    info = await (await database.db.list_collections(filter={"name": "things"})).to_list()
    assert info[0]["options"]["validator"] == {"$jsonSchema": SCHEMA}


async def test_index_failure_is_reported_with_the_collection_name(database: Database) -> None:
    await database.db.create_collection("things")
    await database["things"].insert_many([{"code": "A", "count": 1}, {"code": "A", "count": 2}])
    with pytest.raises(RuntimeError, match="index set-up failed on things"):
        await database.ensure_schema([spec(json_schema=None)])


async def test_database_close_stops_its_embedded_server(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "owned" / "data", timeout_s=60)
    try:
        database = Database(server.start(), "owned", embedded=server)
        await database.ensure_schema([spec()])
        status = await database.status()
        assert status["server"] == "SecantusDB (embedded)"
        assert status["collections"] == {"things": 0}
        await database.close()
        assert not server.running
    finally:
        server.stop()
