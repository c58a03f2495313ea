"""Ownership of the embedded database's data directory: one live owner; what a dead owner left is cleared.

The owner (the API or CLI process) holds an exclusive ``flock`` on ``<data dir>/ecoinspect.lock`` for as
long as it runs the database there, and records in that file its own pid and its database child's pid,
start time and port (a pidfile). The kernel drops a ``flock`` when its holder dies, however it dies, so:

- the lock cannot be taken: a live server owns the directory, and start-up is refused;
- the lock can be taken but the record names a child that still runs: its owner died and the child was
  orphaned (before the child watched its parent, or while it is still shutting down): it is stopped;
- otherwise the record is stale and is simply overwritten.

Beside it, ``ecoinspect.address`` tells other processes (the command line beside a running server) where the
owner's database listens: written atomically (a temporary file renamed over it) once the database child
listens, removed when the owner stops it, and believed only while its owner still holds the lock
(``running_address``), so a crashed owner's file is ignored.

The lock file is never deleted: a deleted lock file lets one process lock the old file while another locks a
new one at the same path. ``flock`` rather than ``fcntl`` record locks: those do not conflict within one
process, and closing any descriptor of the file drops them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

log = logging.getLogger(__name__)
LOCK_FILE = "ecoinspect.lock"
ADDRESS_FILE = "ecoinspect.address"
ORPHAN_GRACE_S = 15.0  # SIGTERM lets WiredTiger close cleanly; past this the orphan is killed


class DataDirBusy(Exception):
    """A live process owns the data directory."""

    def __init__(self, owner_pid: int | None) -> None:
        super().__init__(f"owned by pid {owner_pid}" if owner_pid else "owned by another process")
        self.owner_pid = owner_pid


@dataclass(frozen=True)
class OwnerRecord:
    pid: int
    child_pid: int | None = None
    child_started: float | None = None  # psutil's create_time: tells the child from a later process with its pid
    port: int | None = None


class DataDirLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> OwnerRecord | None:
        """Take the lock; returns the previous (dead) owner's record, if any. Raises ``DataDirBusy``."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            record = _read(fd)
            os.close(fd)
            raise DataDirBusy(record.pid if record else None) from None
        self._fd = fd
        return _read(fd)

    def record(self, child: int, port: int, uri: str | None = None) -> None:
        """Record the owner and its database child; with ``uri``, publish the database's address too."""
        assert self._fd is not None, "record() needs the lock"
        try:
            started: float | None = psutil.Process(child).create_time()
        except psutil.Error:
            started = None
        _write(self._fd, OwnerRecord(pid=os.getpid(), child_pid=child, child_started=started, port=port))
        if uri is not None:
            address = self.path.with_name(ADDRESS_FILE)
            temporary = address.with_name(f".{ADDRESS_FILE}.{os.getpid()}")
            temporary.write_text(json.dumps({"pid": os.getpid(), "uri": uri}), encoding="utf-8")
            os.replace(temporary, address)  # a reader sees the old file or the new one, never half of one

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.with_name(ADDRESS_FILE).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the only descriptor of the open file releases the flock


def running_address(directory: Path) -> str | None:
    """The URI of the database a live owner runs on ``directory``; None when no live owner published one.

    The address file counts only while the lock is held by the process that wrote it: a lock that can be
    taken means its owner is dead (the file is stale), and a lock held by another pid means a new owner that
    has not published its address yet. The probe holds a shared lock for a moment only when the file is stale:
    a server starting in that moment is refused as if busy, and succeeds when started again.
    """
    try:
        published = json.loads((directory / ADDRESS_FILE).read_text(encoding="utf-8"))
        uri, pid = str(published["uri"]), int(published["pid"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read(fd)
            return uri if owner is not None and owner.pid == pid else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # nobody holds the lock: the file is what a dead owner left
    finally:
        os.close(fd)


def _read(fd: int) -> OwnerRecord | None:
    try:
        raw = os.pread(fd, 4096, 0)
        return OwnerRecord(**json.loads(raw)) if raw.strip() else None
    except (OSError, ValueError, TypeError):
        return None  # an unreadable record is as good as none: the lock alone says who is alive


def _write(fd: int, record: OwnerRecord) -> None:
    data = json.dumps(asdict(record)).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def stop_orphan(record: OwnerRecord) -> bool:
    """Stop the database child a dead owner left running; True if there was one."""
    if record.child_pid is None or record.child_started is None:
        return False
    try:
        child = psutil.Process(record.child_pid)
        if abs(child.create_time() - record.child_started) > 0.01 or child.status() == psutil.STATUS_ZOMBIE:
            return False  # gone, and the pid now names another process (or an unreaped corpse)
        log.warning("stopping the embedded database left running by a dead server",
                    extra={"pid": child.pid, "owner_pid": record.pid})
        child.terminate()
        child.send_signal(signal.SIGCONT)  # a stopped process must run to act on SIGTERM
        if not wait_gone(child, ORPHAN_GRACE_S):
            child.kill()
            wait_gone(child, ORPHAN_GRACE_S)
    except psutil.NoSuchProcess:
        return False
    return True


def wait_gone(process: psutil.Process, timeout_s: float) -> bool:
    """Whether the process ended (exited, or a zombie nobody reaps) within ``timeout_s`` seconds."""
    # Not psutil's wait(): an orphan's new parent may never reap it, and a zombie holds no files.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False
