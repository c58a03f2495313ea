"""Demo data for operators: the generated dataset and its logins, the demo sub-meters and their week of readings."""

from __future__ import annotations

from datetime import date

from core import progress
from core.accounts.models import Viewer
from core.cases.service import CaseService
from core.config import Settings
from core.db import Database
from core.demo.loader import load_demo
from core.demo.meters import XIAN, demo_meters, week_of_readings
from core.demo.models import DemoLoad
from core.demo.repository import DemoRepository
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.nonsite.meters import MeterService
from core.nonsite.readings import IngestReport
from core.policies.service import PolicyService
from core.registry.sources import SourceRow


class DemoService:
    def __init__(self, database: Database, settings: Settings, *, meters: MeterService,
                 policies: PolicyService, cases: CaseService | None = None) -> None:
        self.database = database
        self.settings = settings  # the demo logins are hashed with the configured password profile
        self.repository = DemoRepository(database)
        self.meters = meters
        self.policies = policies
        self.cases = cases  # the demo cases go through the assembled service, so their penalties become events

    async def load(self, *, enterprises: int = 5000, force: bool = False) -> str:
        """The generated Shaanxi dataset and the demo logins (``ecoinspect demo``); nothing when the registry
        already holds data, unless ``force``. Returns the one-line summary."""
        return await load_demo(self.database, self.settings, enterprises=enterprises, force=force, cases=self.cases)

    async def load_if_empty(self, *, enterprises: int = 5000) -> DemoLoad:
        """What ``serve --demo`` does at every start: the dataset if the registry is empty, then every
        enterprise's policies decide (class, positive list), counting the decisions recorded."""
        summary = await self.load(enterprises=enterprises)
        return DemoLoad(summary=summary, decisions=await self.policies.redecide_all(trigger="demo"))

    async def load_meters(self, viewer: Viewer, *, enterprises: int, start: date) -> tuple[list[str], IngestReport]:
        """Meter ``enterprises`` Xi'an enterprises (the third one C or D graded, so that an orange alert halts
        it) and load a week of readings from ``start``; returns their credit codes and the ingest report."""
        graded, others = await self.repository.meter_candidates(XIAN, max(enterprises, 4) - 1)
        if not graded or len(others) < 3:
            raise Conflict("load the demo data first (ecoinspect demo)", code=ErrorCode.NO_DEMO_DATA)
        codes = others[:2] + graded + others[2:]
        await self.meters.register(viewer, demo_meters(codes))
        if progress.listening():
            progress.phase("meter readings", sum(1 for _ in week_of_readings(codes, start)))
        rows = (SourceRow(n, r) for n, r in enumerate(week_of_readings(codes, start), start=1))
        return codes, await self.meters.ingest(viewer, rows)
