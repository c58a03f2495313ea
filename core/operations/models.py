"""The state of the installation as an operator sees it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatabaseStatus:
    """The server (``SecantusDB (embedded)`` or ``MongoDB``), its version, replica set, database and counts."""

    server: str
    version: str | None
    replica_set: str | None
    database: str
    collections: dict[str, int]  # collection name → documents, by name
