"""The published database address (issue #16 item 11): believed only while the process that wrote it owns the lock."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.datadir import ADDRESS_FILE, DataDirLock, running_address

URI = "mongodb://127.0.0.1:27999/?directConnection=true"


def test_an_owner_publishes_its_address_and_removes_it_when_it_releases(tmp_path: Path) -> None:
    assert running_address(tmp_path) is None
    lock = DataDirLock(tmp_path)
    lock.acquire()
    lock.record(child=os.getpid(), port=27999, uri=URI)
    assert running_address(tmp_path) == URI
    assert json.loads((tmp_path / ADDRESS_FILE).read_text()) == {"pid": os.getpid(), "uri": URI}
    assert not list(tmp_path.glob(f".{ADDRESS_FILE}.*"))  # the temporary file was renamed, not left
    lock.release()
    assert not (tmp_path / ADDRESS_FILE).exists()
    assert running_address(tmp_path) is None


def test_an_owner_that_does_not_publish_writes_no_address(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    lock.record(child=os.getpid(), port=27999)
    assert not (tmp_path / ADDRESS_FILE).exists() and running_address(tmp_path) is None
    lock.release()


def test_the_address_of_a_dead_owner_is_ignored(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    lock.record(child=os.getpid(), port=27999)
    lock.release()  # the lock is free: whoever wrote an address is gone (a SIGKILL leaves the file behind)
    (tmp_path / ADDRESS_FILE).write_text(json.dumps({"pid": os.getpid(), "uri": URI}))
    assert running_address(tmp_path) is None


def test_the_address_of_a_previous_owner_is_ignored_while_a_new_one_starts(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    lock.record(child=os.getpid(), port=27999)  # the new owner, not published yet
    (tmp_path / ADDRESS_FILE).write_text(json.dumps({"pid": os.getpid() + 1, "uri": URI}))
    assert running_address(tmp_path) is None
    lock.release()


def test_an_unreadable_address_is_no_address(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path)
    lock.acquire()
    lock.record(child=os.getpid(), port=27999)
    (tmp_path / ADDRESS_FILE).write_text('{"pid": ')
    assert running_address(tmp_path) is None
    lock.release()
