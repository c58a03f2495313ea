"""SecantusDB as a child process on loopback: start, stop, restart on the same port; it dies with its parent.

The child is ``core.secantus_child`` (SecantusDB's own main behind a watchdog on a pipe from this
process), so it stops when this process dies, even by SIGKILL. The data directory is owned through
``core.datadir``: a live owner is refused, what a dead owner left is cleared.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from core.datadir import DataDirBusy, DataDirLock, stop_orphan

log = logging.getLogger(__name__)

_LISTENING = re.compile(r"listening on ([\d.]+):(\d+)")
# The directory holding the ``core`` package: the child must import it whatever its working directory.
_SOURCE_ROOT = str(Path(__file__).resolve().parents[1])


class EmbeddedServerError(RuntimeError):
    """The embedded database could not start; the message names the cause in one line."""


class EmbeddedServer:
    """SecantusDB run as a child process on loopback, data kept in ``storage_path``.

    The first start picks a free port when ``port`` is 0; later starts (a restart after a crash) reuse
    it, so a client's URI stays valid. ``start``, ``restart`` and ``stop`` may be called from any thread.
    With ``publish`` (the server's), the address is written to the data directory for the command line.
    """

    def __init__(self, storage_path: Path, *, port: int = 0, timeout_s: float = 30.0,
                 sync_on_commit: bool = True, publish: bool = False) -> None:
        self.storage_path = storage_path
        self.publish = publish
        self.sync_on_commit = sync_on_commit
        self.port = port
        self.timeout_s = timeout_s
        self.log_path = storage_path.parent / "db.log"
        self.uri: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: int | None = None  # our end of the pipe the child watches
        self._log_offset = 0
        self._lock = DataDirLock(storage_path)
        self._guard = threading.Lock()
        self._wanted = False  # started and not stopped: an exit of the child is then a crash

    def start(self) -> str:
        with self._guard:
            if self.running and self.uri:
                return self.uri  # a second child would only find its own port taken
            self.storage_path.mkdir(parents=True, exist_ok=True)
            acquired = self._own()
            try:
                uri = self._spawn()
            except BaseException:
                if acquired:
                    self._lock.release()
                raise
            self._wanted = True
            return uri

    def restart(self) -> str | None:
        """Start the child again on its port after it died; None if the server was stopped meanwhile."""
        with self._guard:
            if not self._wanted:
                return None
            if self.running and self.uri:
                return self.uri
            return self._spawn()

    def stop(self) -> None:
        with self._guard:
            self._wanted = False
            self._terminate()
            self._lock.release()

    @property
    def running(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    @property
    def crashed(self) -> bool:
        """The child exited although nobody stopped it."""
        return self._wanted and not self.running

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def _own(self) -> bool:
        """Take ownership of the data directory unless this object has it; True if taken now."""
        if self._lock.held:
            return False
        try:
            stale = self._lock.acquire()
        except DataDirBusy as busy:
            raise EmbeddedServerError(self._locked(busy.owner_pid)) from None
        if stale is not None:
            stop_orphan(stale)  # a dead owner's record: its child, if still running, is an orphan
        return True

    def _spawn(self) -> str:
        self._terminate()  # a previous child is dead by now: reap it and close its watchdog pipe
        # Append, so that a refused start does not wipe a running server's log; only what this start
        # writes (after ``self._log_offset``) is read.
        with self.log_path.open("ab") as log_file:
            self._log_offset = log_file.tell()
            self._process = self._popen(log_file)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            text = self._read_log()
            if self._process.poll() is not None:
                self._terminate()
                raise EmbeddedServerError(self._explain_exit(text))
            match = _LISTENING.search(text)
            if match:
                self.port = int(match.group(2))
                self.uri = f"mongodb://127.0.0.1:{self.port}/?directConnection=true"
                self._lock.record(child=self._process.pid, port=self.port, uri=self.uri if self.publish else None)
                log.info("embedded database listening", extra={"uri": self.uri, "pid": self._process.pid})
                return self.uri
            time.sleep(0.05)
        self._terminate()
        raise EmbeddedServerError(
            f"embedded database did not start within {self.timeout_s:.0f}s (log: {self.log_path})"
        )

    def _popen(self, log_file: IO[bytes]) -> subprocess.Popen[bytes]:
        read_end, write_end = os.pipe()  # both ends close on exec; only the read end is passed on
        command = [
            sys.executable, "-m", "core.secantus_child", "--watchdog-fd", str(read_end), "--",
            "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.storage_path),
            *(["--sync-on-commit"] if self.sync_on_commit else []),
        ]
        path = os.pathsep.join(p for p in (_SOURCE_ROOT, os.environ.get("PYTHONPATH")) if p)
        try:
            # The child runs in the data directory's parent so that no stray secantusd.toml in the
            # caller's working directory changes its configuration; in a session of its own so that a
            # terminal's Ctrl-C reaches only the server, which then stops the database in order.
            process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, cwd=self.storage_path.parent,
                start_new_session=True, pass_fds=(read_end,), env={**os.environ, "PYTHONPATH": path},
            )
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._watchdog = write_end
        return process

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            os.close(watchdog)

    def _read_log(self) -> str:
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(self._log_offset)
                return handle.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _locked(self, owner_pid: int | None) -> str:
        owner = f" (pid {owner_pid})" if owner_pid else ""
        return (f"embedded database: data directory {self.storage_path} is locked by another running "
                f"server{owner} (stop it, or set ECOINSPECT_DATA_DIR to another directory)")

    def _explain_exit(self, text: str) -> str:
        if "Address already in use" in text:
            return f"embedded database: port {self.port} on 127.0.0.1 is already in use"
        if "resource busy" in text or "WiredTiger.lock" in text or "Resource temporarily" in text:
            return self._locked(None)
        if "Permission denied" in text:
            return f"embedded database: permission denied on {self.storage_path}"
        last = next((line for line in reversed(text.strip().splitlines()) if line.strip()), "")
        return f"embedded database exited during start-up: {last} (log: {self.log_path})"
