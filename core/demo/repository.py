"""The registry reads of the demo loaders: which enterprises get the demo sub-meters."""

from __future__ import annotations

from core.db import Database
from core.registry.repository import EnterpriseRepository

GRADED = ["C", "D"]  # performance grades that an orange alert halts


class DemoRepository:
    def __init__(self, database: Database) -> None:
        self.enterprises = EnterpriseRepository(database)

    async def meter_candidates(self, jurisdiction: str, count: int) -> tuple[list[str], list[str]]:
        """Credit codes in ``jurisdiction``, by registry order: one graded C or D, and ``count`` others."""
        graded = await self.enterprises.codes_where(
            {"jurisdiction_path": jurisdiction, "performance.grade": {"$in": GRADED}}, limit=1)
        others = await self.enterprises.codes_where(
            {"jurisdiction_path": jurisdiction, "performance.grade": {"$nin": GRADED}}, limit=count)
        return graded, others
