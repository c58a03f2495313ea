"""The registry reads and writes of the demo loaders: whether to load, the matters, which enterprises get meters."""

from __future__ import annotations

from core.db import Database
from core.registry.models import Matter
from core.registry.repository import EnterpriseRepository, MatterRepository

GRADED = ["C", "D"]  # performance grades that an orange alert halts


class DemoRepository:
    def __init__(self, database: Database) -> None:
        self.enterprises = EnterpriseRepository(database)
        self.matters = MatterRepository(database)

    async def registry_holds_data(self) -> bool:
        return await self.enterprises.any_exists()

    async def store_matters(self, matters: list[Matter]) -> None:
        await self.matters.upsert_many(matters)

    async def meter_candidates(self, jurisdiction: str, count: int) -> tuple[list[str], list[str]]:
        """Credit codes in ``jurisdiction``, by registry order: one graded C or D, and ``count`` others."""
        graded = await self.enterprises.codes_where(
            {"jurisdiction_path": jurisdiction, "performance.grade": {"$in": GRADED}}, limit=1)
        others = await self.enterprises.codes_where(
            {"jurisdiction_path": jurisdiction, "performance.grade": {"$nin": GRADED}}, limit=count)
        return graded, others
