"""The synthetic feed of bench/meters.py: readings as a utility sends them, and anomaly series in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

SLOT_MINUTES = 15
SLOTS_PER_DAY = 1440 // SLOT_MINUTES
PRODUCTION_KW, TREATMENT_KW = 500.0, 50.0  # rated power of each enterprise's two meters


class Readings:
    """The readings of ``meters`` meters × ``slots`` slots from ``origin``; a value is a pure function."""

    def __init__(self, codes: list[str], slots: int, origin: datetime) -> None:
        self.codes = codes  # one enterprise per pair of meters
        self.slots = slots
        self.origin = origin
        self.stamps = [(origin + timedelta(minutes=SLOT_MINUTES * s)).strftime("%Y-%m-%dT%H:%M:00Z")
                       for s in range(slots)]
        self.hours = [(origin + timedelta(hours=8, minutes=SLOT_MINUTES * s)).hour for s in range(slots)]

    @staticmethod
    def meter_id(enterprise: int, treatment: bool) -> str:
        return f"BM{enterprise:05d}-{'T' if treatment else 'P'}"

    def kw(self, enterprise: int, treatment: bool, slot: int) -> str:
        hour = self.hours[slot]
        working = 8 <= hour < 20
        if enterprise % 50 == 1:
            working = not working  # night shift
        noise = ((enterprise * 1_000_003 + slot * 7919 + treatment * 31) % 101) / 1000 - 0.05
        if treatment:
            value = 40.0 * (1 + noise) if working else 1.0
            if enterprise % 50 == 0 and 12 <= hour < 14:
                value = 0.5  # treatment off while producing
        else:
            value = 400.0 * (1 + noise) if working else 5.0
        return f"{value:.2f}"

    def table(self) -> list[tuple[str, list[str]]]:
        """Every meter's id and its kW values as the text a feed carries (built once, outside the timers)."""
        return [(self.meter_id(e, treatment), [self.kw(e, treatment, slot) for slot in range(self.slots)])
                for e in range(len(self.codes)) for treatment in (False, True)]

    def rows(self, order: str, table: list[tuple[str, list[str]]] | None = None) -> Iterator[Any]:
        """The feed as reader rows. With ``table`` the values are looked up, not computed: what is left
        is what a reader does per row (one row object and its dict of strings)."""
        from core.registry.sources import SourceRow

        table = table if table is not None else self.table()
        number = 0
        if order == "time":
            for slot, stamp in enumerate(self.stamps):
                for meter, values in table:
                    number += 1
                    yield SourceRow(number, {"meter": meter, "timestamp": stamp, "kw": values[slot]})
        else:
            for meter, values in table:
                for slot, stamp in enumerate(self.stamps):
                    number += 1
                    yield SourceRow(number, {"meter": meter, "timestamp": stamp, "kw": values[slot]})

    def write_csv(self, path: Any, order: str, table: list[tuple[str, list[str]]]) -> None:
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write("meter,timestamp,kw\n")
            for row in self.rows(order, table):
                out.write(f"{row.values['meter']},{row.values['timestamp']},{row.values['kw']}\n")

    def buckets(self) -> Iterator[dict[str, Any]]:
        """The documents write_readings leaves behind: one per meter per UTC day."""
        for e, code in enumerate(self.codes):
            for treatment in (False, True):
                meter = self.meter_id(e, treatment)
                doc: dict[str, Any] | None = None
                for slot in range(self.slots):
                    at = self.origin + timedelta(minutes=SLOT_MINUTES * slot)
                    day = at.date().isoformat()
                    if doc is None or doc["day"] != day:
                        if doc is not None:
                            yield doc
                        doc = {"_id": f"{meter}:{day}", "meter_id": meter, "day": day, "credit_code": code,
                               "r": {}}
                    doc["r"][str(at.hour * 60 + at.minute)] = {"kw": float(self.kw(e, treatment, slot))}
                if doc is not None:
                    yield doc


def isnan(values: Any) -> Any:
    import numpy as np

    return np.isnan(values)


def synthetic_series(codes: list[str], start: datetime, slots: int, seed: int) -> tuple[Any, dict[str, int]]:
    """N enterprises × ``slots``; returns the Series and how many rows carry each planted problem."""
    import numpy as np

    from core.nonsite.detect import MEASURE_CODES, Series

    rng = np.random.default_rng(seed)
    n = len(codes)
    hours = (np.arange(slots) * SLOT_MINUTES // 60 + 8) % 24  # Beijing hours for a UTC-midnight start
    working = np.tile((hours >= 8) & (hours < 20), (n, 1))
    pick = rng.permutation(n)
    share = max(1, n // 100)
    treatment_off, night, halt, cut, gaps = (pick[k * 2 * share:(k + 1) * 2 * share] for k in range(5))
    night = night[:share]
    working[night] = ~working[night]
    production = np.where(working, 400.0 * (1 + rng.uniform(-0.05, 0.05, (n, slots))), 5.0)
    treatment = np.where(working, 40.0 * (1 + rng.uniform(-0.05, 0.05, (n, slots))), 1.0)
    measure = np.zeros((n, slots), dtype=np.int8)
    reduction = np.zeros((n, slots))
    noon = 4 * 60 // SLOT_MINUTES  # 12:00 Beijing is 04:00 UTC
    for row in treatment_off:
        day = int(rng.integers(0, max(1, slots // SLOTS_PER_DAY)))
        first = day * SLOTS_PER_DAY + noon + int(rng.integers(0, 16))
        treatment[row, first:first + int(rng.integers(1, 17))] = 0.5
    halt_window = slice(min(slots, SLOTS_PER_DAY + 0), min(slots, SLOTS_PER_DAY + 24))  # Beijing 08:00-14:00
    for k, row in enumerate(halt):
        measure[row, halt_window] = MEASURE_CODES["halt"]
        if k % 2:
            production[row, halt_window] = 0.0
            treatment[row, halt_window] = 0.0
    cut_window = slice(min(slots, 2 * SLOTS_PER_DAY), min(slots, 2 * SLOTS_PER_DAY + 24))
    for k, row in enumerate(cut):
        measure[row, cut_window] = MEASURE_CODES["reduce"]
        reduction[row, cut_window] = 30.0
        if k % 2:
            production[row, cut_window] *= 0.6
    for row in gaps:
        first = int(rng.integers(0, max(1, slots - 8)))
        production[row, first:first + 8] = np.nan
        treatment[row, first:first + 8] = np.nan
    series = Series(codes=codes, start=start, production=production, treatment=treatment,
                    rated_production=np.full(n, PRODUCTION_KW), rated_treatment=np.full(n, TREATMENT_KW),
                    measure=measure, reduction_pct=reduction)
    planted = {"treatment_off_rows": len(treatment_off), "night_rows": len(night), "halt_rows": len(halt),
               "halt_producing_rows": (len(halt) + 1) // 2, "cut_rows": len(cut),
               "cut_ignored_rows": (len(cut) + 1) // 2, "gap_rows": len(gaps)}
    return series, planted
