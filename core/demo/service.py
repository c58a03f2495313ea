"""Demo data on a running installation, for operators: the demo sub-meters and their week of readings."""

from __future__ import annotations

from datetime import date

from core.accounts.models import Viewer
from core.db import Database
from core.demo.meters import XIAN, demo_meters, week_of_readings
from core.demo.repository import DemoRepository
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.nonsite.meters import MeterService
from core.nonsite.readings import IngestReport
from core.registry.sources import SourceRow


class DemoService:
    def __init__(self, database: Database, *, meters: MeterService) -> None:
        self.repository = DemoRepository(database)
        self.meters = meters

    async def load_meters(self, viewer: Viewer, *, enterprises: int, start: date) -> tuple[list[str], IngestReport]:
        """Meter ``enterprises`` Xi'an enterprises (the third one C or D graded, so that an orange alert halts
        it) and load a week of readings from ``start``; returns their credit codes and the ingest report."""
        graded, others = await self.repository.meter_candidates(XIAN, max(enterprises, 4) - 1)
        if not graded or len(others) < 3:
            raise Conflict("load the demo data first (ecoinspect demo)", code=ErrorCode.NO_DEMO_DATA)
        codes = others[:2] + graded + others[2:]
        await self.meters.register(viewer, demo_meters(codes))
        rows = (SourceRow(n, r) for n, r in enumerate(week_of_readings(codes, start), start=1))
        return codes, await self.meters.ingest(viewer, rows)
