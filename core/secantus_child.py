"""The embedded database's process: SecantusDB's own ``main``, plus a watchdog that stops it when its parent dies.

Run by ``EmbeddedServer`` as ``python -m core.secantus_child --watchdog-fd N -- <secantus arguments>``.
The parent keeps the write end of a pipe and never writes to it; the kernel closes it when the parent
exits in any way (SIGKILL included), so a read of ``N`` returning end-of-file means the parent is gone.
Unlike ``PR_SET_PDEATHSIG``, which fires when the *thread* that forked exits (the CLI and the
supervisor start the database from worker threads), this works whichever thread started it, and has
no race with a parent that dies before the child is set up: the pipe is then already closed.
Imports stay minimal: this runs before SecantusDB, in a process of its own.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger("core.secantus_child")

# After SIGTERM, SecantusDB drains its connections and closes WiredTiger (a few seconds at most);
# past this, the process exits regardless, so that it never outlives its parent for long.
SHUTDOWN_GRACE_S = 15.0


def watch_parent(fd: int) -> None:
    """Block until the parent's end of the pipe closes, then stop this process."""
    try:
        while os.read(fd, 1):
            pass  # the parent never writes; tolerate it anyway
    except OSError:
        pass
    log.warning("parent process gone: stopping the embedded database")
    # To the main thread, which sleeps in SecantusDB's wait(): there the signal interrupts the wait and
    # SecantusDB's handler stops the server and closes storage.
    main_thread = threading.main_thread().ident
    if main_thread is not None:
        signal.pthread_kill(main_thread, signal.SIGTERM)
    time.sleep(SHUTDOWN_GRACE_S)
    os._exit(70)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "--watchdog-fd" or argv[2] != "--":
        log.error("usage: python -m core.secantus_child --watchdog-fd N -- <secantus arguments>")
        return 2
    threading.Thread(target=watch_parent, args=(int(argv[1]),), name="parent-watchdog", daemon=True).start()
    from secantus.cli import main as secantus_main

    exit_code: int = secantus_main(argv[3:])  # secantus ships no py.typed; main() is annotated -> int
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
