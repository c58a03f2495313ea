"""Demo electricity data: sub-meters for some Xi'an enterprises and a week of 15-minute readings.

The week is a day-shift pattern with seeded noise; a few enterprises carry known problems so that
the anomaly scan has something to find: treatment switched off while producing (``treatment_off``),
a plant running at night (``night_shift``), and a plant that keeps producing whatever the alert
says (``ignores_alerts``, which becomes a halt or restriction violation once an alert is in force).
A plant that is fully halted for a day (``halted``) must raise nothing. ``DemoService.load_meters``
(``core/demo/service.py``) puts them on Xi'an enterprises of the demo registry.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

SEED = 20261128
ROLES = {"treatment_off": 0, "night_shift": 1, "ignores_alerts": 2, "halted": 3}
XIAN = "610100"


def demo_meters(codes: list[str]) -> list[dict[str, Any]]:
    """A production and a treatment meter for each enterprise."""
    meters = []
    for n, code in enumerate(codes):
        meters.append({"meter_id": f"M{n:04d}-P", "credit_code": code, "role": "production", "unit": "生产线1",
                       "rated_kw": 500.0})
        meters.append({"meter_id": f"M{n:04d}-T", "credit_code": code, "role": "treatment", "unit": "治理设施",
                       "rated_kw": 50.0})
    return meters


def week_of_readings(codes: list[str], start: date, days: int = 7) -> Iterator[dict[str, Any]]:
    """Readings (meter, timestamp, kw) every 15 minutes; problem plants are the first four codes."""
    rng = random.Random(SEED)
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    for n, _code in enumerate(codes):
        for slot in range(days * 96):
            at = origin + timedelta(minutes=15 * slot)
            local_hour = (at + timedelta(hours=8)).hour
            working = 8 <= local_hour < 20
            if n == ROLES["night_shift"]:
                working = not working
            production = 400.0 * (1 + rng.uniform(-0.05, 0.05)) if working else 5.0
            treatment = 40.0 * (1 + rng.uniform(-0.05, 0.05)) if working else 1.0
            day = slot // 96
            if n == ROLES["treatment_off"] and day == 2 and working and 12 <= local_hour < 16:
                treatment = 0.5  # four hours with the treatment facility off while producing
            if n == ROLES["halted"] and day == 3:
                production, treatment = 0.0, 0.0  # fully halted: no alert expected
            stamp = at.isoformat().replace("+00:00", "Z")
            yield {"meter": f"M{n:04d}-P", "timestamp": stamp, "kw": round(production, 2)}
            yield {"meter": f"M{n:04d}-T", "timestamp": stamp, "kw": round(treatment, 2)}
