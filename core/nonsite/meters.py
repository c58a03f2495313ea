"""Meters and their readings: registration, ingestion, gaps, and the series the anomaly scan reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import ValidationError

from core.accounts.models import Viewer
from core.accounts.roles import SUPERVISORS
from core.db import Database
from core.error_codes import ErrorCode
from core.errors import NotFound, PermissionDenied
from core.nonsite import ingest, readings
from core.nonsite.detect import Series
from core.nonsite.models import SLOT_MINUTES, Meter, MeterData, MeterRole
from core.nonsite.repository import MeterRepository
from core.reference import tables
from core.registry.repository import EnterpriseRepository
from core.registry.sources import SourceRow

SLOTS_PER_DAY = 1440 // SLOT_MINUTES


def _require(viewer: Viewer) -> None:
    if not viewer.has_any(SUPERVISORS):
        raise PermissionDenied("meters and readings are managed by supervisors and administrators")


class MeterService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.repository = MeterRepository(database)

    async def register(self, viewer: Viewer, rows: list[dict[str, Any]]) -> tuple[int, int, list[readings.RowError]]:
        """Insert or update sub-meters; each row names its enterprise (which must be in scope)."""
        _require(viewer)
        errors: list[readings.RowError] = []
        parsed: list[tuple[int, MeterData]] = []
        for number, row in enumerate(rows, start=1):
            try:
                parsed.append((number, MeterData.model_validate(row)))
            except ValidationError as exc:
                first = exc.errors()[0]
                errors.append(readings.RowError(number, ".".join(str(p) for p in first["loc"]), ErrorCode.INVALID_VALUE,
                                                str(first["msg"])))
        enterprises = await EnterpriseRepository(self.database).by_codes(sorted({m.credit_code for _, m in parsed}))
        existing = await self.repository.by_ids([m.meter_id for _, m in parsed])
        now = datetime.now(UTC)
        accepted = []
        for number, data in parsed:
            enterprise = enterprises.get(data.credit_code)
            known = existing.get(data.meter_id)
            if known is not None and not viewer.covers(known["jurisdiction"]):  # another office's meter
                errors.append(readings.RowError(number, "meter_id", ErrorCode.NOT_FOUND, f"meter {data.meter_id} "
                                                "belongs to an enterprise outside your jurisdictions"))
                continue
            if enterprise is None or not viewer.covers(enterprise.jurisdiction):
                errors.append(readings.RowError(number, "credit_code", ErrorCode.NOT_FOUND,
                                                f"enterprise {data.credit_code} not found"))
                continue
            meter = Meter(**data.model_dump(), jurisdiction=enterprise.jurisdiction, created_at=now)
            accepted.append((meter, tables.ancestors(enterprise.jurisdiction)))
        inserted, updated = await self.repository.upsert_meters(accepted)
        return inserted, updated, errors

    async def ingest(self, viewer: Viewer, rows: Iterable[SourceRow]) -> readings.IngestReport:
        _require(viewer)
        return await ingest.ingest(self.database, rows, scopes=list(viewer.jurisdictions))

    async def meters_of(self, viewer: Viewer, credit_code: str) -> list[Meter]:
        return [m for m in await self.repository.of_enterprises([credit_code]) if viewer.covers(m.jurisdiction)]

    async def gaps(self, viewer: Viewer, meter_id: str, start: date, days: int) -> list[tuple[datetime, datetime]]:
        meter = (await self.repository.by_ids([meter_id])).get(meter_id)
        if meter is None or not viewer.covers(meter["jurisdiction"]):
            raise NotFound(f"meter {meter_id} not found", field="meterId")
        day_keys = [(start + timedelta(days=n)).isoformat() for n in range(days)]
        return readings.gaps(await self.repository.days(meter_ids=[meter_id], day_keys=day_keys), start, days)


async def load_series(database: Database, meters: list[Meter], start: date, days: int) -> Series:
    """Production and treatment power per enterprise on 15-minute slots (NaN where no meter read)."""
    codes = sorted({m.credit_code for m in meters})
    index = {code: n for n, code in enumerate(codes)}
    role = {m.meter_id: m.role for m in meters}
    slots = days * SLOTS_PER_DAY
    production = np.full((len(codes), slots), np.nan)
    treatment = np.full((len(codes), slots), np.nan)
    rated_p, rated_t = np.zeros(len(codes)), np.zeros(len(codes))
    for meter in meters:
        target = rated_t if meter.role is MeterRole.TREATMENT else rated_p
        if meter.role is not MeterRole.TOTAL:
            target[index[meter.credit_code]] += meter.rated_kw
    day_keys = [(start + timedelta(days=n)).isoformat() for n in range(days)]
    # Every reading as (meter, slot, kW); one meter's readings inside a slot are averaged, then the
    # meters of one role are added up (NaN where none of them read).
    meter_rows: dict[tuple[str, str], int] = {}  # (meter, the enterprise its bucket was stored under)
    meter_of: list[int] = []
    slot_of: list[int] = []
    value_of: list[float] = []
    for doc in await MeterRepository(database).days(codes=codes, day_keys=day_keys):
        kind = role.get(doc["meter_id"])
        if kind is None or kind is MeterRole.TOTAL:
            continue
        number = meter_rows.setdefault((doc["meter_id"], doc["credit_code"]), len(meter_rows))
        base = (date.fromisoformat(doc["day"]) - start).days * SLOTS_PER_DAY
        powered = [(minute, value["kw"]) for minute, value in doc.get("r", {}).items() if "kw" in value]
        slot_of += [base + int(minute) // SLOT_MINUTES for minute, _ in powered]
        value_of += [kw for _, kw in powered]
        meter_of += [number] * len(powered)
    if meter_rows:
        cells = len(meter_rows) * slots
        key = np.asarray(meter_of, dtype=np.int64) * slots + np.asarray(slot_of, dtype=np.int64)
        counts = np.bincount(key, minlength=cells)
        sums = np.bincount(key, weights=np.asarray(value_of, dtype=float), minlength=cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (sums / counts).reshape(len(meter_rows), slots)  # NaN where the meter did not read
        for (meter_id, credit_code), number in meter_rows.items():
            grid = treatment if role[meter_id] is MeterRole.TREATMENT else production
            row = index[credit_code]
            grid[row] = np.where(np.isnan(grid[row]), means[number], grid[row] + np.nan_to_num(means[number]))
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return Series(codes=codes, start=origin, production=production, treatment=treatment, rated_production=rated_p,
                  rated_treatment=rated_t, measure=np.zeros((len(codes), slots), dtype=np.int8),
                  reduction_pct=np.zeros((len(codes), slots)))
