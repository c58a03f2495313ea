"""The electricity anomaly scan: series from the meters, thresholds from the electricity-trigger policy,
the measures in force from the heavy-pollution alerts; each anomaly becomes a power alert (DOMAIN 17–19).

Rescanning a window is idempotent: an alert is keyed by enterprise, kind and start.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from core.alerts.repository import AlertRepository
from core.db import Database, chunks
from core.error_codes import ErrorCode
from core.errors import Conflict
from core.nonsite.detect import MEASURE_CODES, SEVERITIES, Anomaly, Series, Thresholds, detect
from core.nonsite.meters import load_series
from core.nonsite.models import SLOT_MINUTES, Meter, PowerAlert
from core.nonsite.repository import MeterRepository
from core.policies.facts import facts_batches
from core.policies.kinds import PolicyKind
from core.policies.repository import enterprises_with_codes
from core.policies.service import PolicyService
from core.reference import tables
from core.registry.repository import EnterpriseRepository

FIELDS = ("production_on_share", "treatment_off_share", "min_minutes", "restriction_margin_pct", "night_day_ratio")


class PowerScanService:
    """Scans metered enterprises for anomalies and stores each new one as a power alert."""

    def __init__(self, database: Database, *, policies: PolicyService,
                 on_created: Callable[[list[str]], Awaitable[Any]] | None = None) -> None:
        self.database = database
        # Enterprises with new power alerts; under a heavy-pollution alert they are checked on site
        # (AlertService.escalate, injected by api/assembly.py).
        self.on_created = on_created
        self.policies = policies
        self.meters = MeterRepository(database)
        self.alerts = AlertRepository(database)
        self.enterprises = EnterpriseRepository(database)

    async def scan(self, *, scopes: list[str], start: date, days: int) -> dict[str, Any]:
        """Scan every metered enterprise in ``scopes`` over ``days`` UTC days from ``start``."""
        meters: list[Meter] = await self.meters.in_scope(scopes)
        if not meters:
            return {"enterprises": 0, "anomalies": 0, "created": 0, "found": []}
        series = await load_series(self.database, meters, start, days)
        await self.apply_measures(series, days)
        limits, version_id = await self.thresholds(series, start)
        found = detect(series, limits)
        created = await self._store(found, version_id)
        if created and self.on_created is not None:
            await self.on_created(sorted({a.credit_code for a in found}))
        return {"enterprises": len(series.codes), "anomalies": len(found), "created": created,
                "policy_version": version_id, "found": [_summary(anomaly) for anomaly in found]}

    async def apply_measures(self, series: Series, days: int) -> None:
        """Fill each slot with the strictest heavy-pollution measure in force for the enterprise."""
        end = series.start + timedelta(days=days)
        alerts = {a.id: a for a in await self.alerts.overlapping(series.start, end)}
        if not alerts:
            return
        row_of = {code: n for n, code in enumerate(series.codes)}
        step = timedelta(minutes=SLOT_MINUTES)
        slots = series.measure.shape[1]
        for measure in await self.alerts.measures_of(list(alerts), series.codes):
            alert = alerts[measure["alert_id"]]
            code = MEASURE_CODES.get(measure["measure"], 0)
            first = max(0, int((alert.starts_at.replace(tzinfo=UTC) - series.start) / step))
            last = min(slots, int(np.ceil((alert.ends_at.replace(tzinfo=UTC) - series.start) / step)))
            row = row_of[measure["credit_code"]]
            window = slice(first, last)
            stricter = series.measure[row, window] < code
            series.measure[row, window] = np.where(stricter, code, series.measure[row, window])
            series.reduction_pct[row, window] = np.maximum(series.reduction_pct[row, window],
                                                           float(measure["reduction_pct"]))

    async def thresholds(self, series: Series, day: date) -> tuple[Thresholds, str]:
        """The policy's answer for each enterprise under each measure it has in the window.

        When an enterprise's measure changes inside the window (a halt from Tuesday), its slots take
        the answer for the measure in force at each slot: per enterprise and slot [N, T] arrays.
        """
        in_force = await self.policies.rules_in_force(PolicyKind.ELECTRICITY_TRIGGERS, day)
        if in_force is None:
            raise Conflict("no electricity-trigger policy is in force", code=ErrorCode.NO_POLICY)
        levels = {code: np.unique(series.measure[n]).tolist() for n, code in enumerate(series.codes)}
        names = {v: k for k, v in MEASURE_CODES.items()}
        decided: dict[tuple[str, int], dict[str, Any]] = {}
        for codes in chunks(series.codes):  # SecantusDB slows down steeply on long $in lists
            async for part in facts_batches(self.database, enterprises_with_codes(codes), day):
                for doc, facts in part:
                    for level in levels[doc["credit_code"]]:
                        facts["measure_in_force"] = names[level]
                        decided[doc["credit_code"], level] = in_force.rules.evaluate(facts).outputs
        return _thresholds(series, levels, decided), in_force.version.id

    async def _store(self, found: list[Anomaly], version_id: str) -> int:
        if not found:
            return 0
        enterprises = await self.enterprises.by_codes(sorted({a.credit_code for a in found}))
        now = datetime.now(UTC)
        alerts = []
        for anomaly in found:
            enterprise = enterprises[anomaly.credit_code]
            alert = PowerAlert(id=str(uuid.uuid4()), credit_code=anomaly.credit_code,
                               enterprise_name=enterprise.name, jurisdiction=enterprise.jurisdiction,
                               kind=anomaly.kind, severity=anomaly.severity, starts_at=anomaly.starts_at,
                               ends_at=anomaly.ends_at, minutes=anomaly.minutes, detail=anomaly.detail,
                               policy_version=version_id, created_at=now,
                               history=[{"at": now, "actor": "scan", "action": "push"}])
            alerts.append((alert, tables.ancestors(enterprise.jurisdiction)))
        return await self.meters.insert_alerts(alerts)


def _summary(anomaly: Anomaly) -> dict[str, Any]:
    """An anomaly as the scan reports it (``ecoinspect meters scan`` prints these as a table)."""
    return {"credit_code": anomaly.credit_code, "kind": anomaly.kind.value, "severity": anomaly.severity,
            "starts_at": anomaly.starts_at.isoformat(), "ends_at": anomaly.ends_at.isoformat(),
            "minutes": anomaly.minutes}


def _thresholds(series: Series, levels: dict[str, list[int]],
                decided: dict[tuple[str, int], dict[str, Any]]) -> Thresholds:
    """The decided outputs as arrays: one row per enterprise, or [N, T] when a measure changed in the window."""
    if all(len(found) == 1 for found in levels.values()):  # one measure each: one answer per enterprise
        rows = [decided[code, levels[code][0]] for code in series.codes]
        values = {name: np.array([r[name] for r in rows], dtype=float) for name in FIELDS}
        return Thresholds(**values, severity=[str(r["severity"]) for r in rows])
    table = {name: np.zeros((len(series.codes), len(MEASURE_CODES))) for name in (*FIELDS, "severity")}
    row_of = {code: n for n, code in enumerate(series.codes)}
    for (code, level), outputs in decided.items():
        row = row_of[code]
        for name in FIELDS:
            table[name][row, level] = float(outputs[name])
        table["severity"][row, level] = SEVERITIES.index(str(outputs["severity"]))
    index = series.measure.astype(np.int64)
    grid = {name: np.take_along_axis(values, index, axis=1) for name, values in table.items()}
    return Thresholds(**{name: grid[name] for name in FIELDS}, severity=grid["severity"].astype(np.int64))
