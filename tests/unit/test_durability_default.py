"""The embedded database flushes its journal at every commit unless an operator turns it off."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.embedded import EmbeddedServer


def test_sync_on_commit_is_the_declared_default() -> None:
    # The test session sets the environment variable to false (tests/conftest.py); the product's default is true.
    assert Settings.model_fields["db_sync_on_commit"].default is True
    assert Settings(db_sync_on_commit=True).db_sync_on_commit is True


def test_the_embedded_server_is_durable_unless_told_otherwise(tmp_path: Path) -> None:
    assert EmbeddedServer(tmp_path / "db").sync_on_commit is True
    assert EmbeddedServer(tmp_path / "db", sync_on_commit=False).sync_on_commit is False
