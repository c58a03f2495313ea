"""Operator use cases on the installation itself: the database's status (``ecoinspect db status``)."""

from __future__ import annotations

from core.db import Database
from core.operations.models import DatabaseStatus


class OperationsService:
    """Reads server-wide state through ``Database.status`` (core/db.py). Backups and restores, which read and
    write every collection, are ``core.operations.backup`` over ``repository.py``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def status(self) -> DatabaseStatus:
        """The server, its version and replica set, the database and every collection's count; writes nothing."""
        found = await self.database.status()
        return DatabaseStatus(server=found["server"], version=found["version"], replica_set=found["replica_set"],
                              database=found["database"], collections=dict(found["collections"]))
