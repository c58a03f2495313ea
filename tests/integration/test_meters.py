"""Electricity sub-meters on the real server: ingest (buckets, replay, row errors, gaps), the anomaly scan on the
demo week (DOMAIN rules 17–18), and the power-alert lifecycle (rule 19)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import enterprise_row

from core.accounts.models import Role, Viewer
from core.alerts.service import AlertService
from core.db import Database
from core.demo import generator
from core.demo.meters import demo_meters, week_of_readings
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.inspections.repository import InspectionRepository
from core.nonsite.meters import MeterService
from core.nonsite.power_alerts import PowerAlertService, origin
from core.nonsite.power_scan import PowerScanService
from core.policies.service import PolicyService
from core.registry.importing import EnterpriseImporter
from core.registry.sources import SourceRow, open_rows
from rules.alert_measures import policy_measures
from rules.policy_engine import RulesEngine

NOW = datetime.now(UTC)
TODAY = NOW.date()
SUPERVISOR = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
XIAN_SUPERVISOR = Viewer(username="xian", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))
XIAN_INSPECTOR = Viewer(username="insp", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                        inspector_id="SX-610100-0001")
BAOJI_INSPECTOR = Viewer(username="bj", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610300",))
AUTHOR = Viewer(username="alice", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
XIAN = enterprise_row("91610100MM0000001", industry_code="3971", performance_grade="A")
BAOJI = enterprise_row("91610300MM0000002", jurisdiction="610300", industry_code="3971")
METERS = [
    {"meter_id": "XA-P", "credit_code": XIAN["credit_code"], "role": "production", "unit": "1号线", "rated_kw": 500.0},
    {"meter_id": "XA-T", "credit_code": XIAN["credit_code"], "role": "treatment", "unit": "除尘", "rated_kw": 50.0},
    {"meter_id": "BJ-P", "credit_code": BAOJI["credit_code"], "role": "production", "rated_kw": 300.0},
]


def at(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def rows(items: list[dict[str, Any]]) -> list[SourceRow]:
    return [SourceRow(n, dict(item)) for n, item in enumerate(items, start=1)]


def reading(meter: str, moment: datetime, kw: Any = None, kwh: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"meter": meter, "timestamp": stamp(moment)}
    if kw is not None:
        item["kw"] = kw
    if kwh is not None:
        item["kwh"] = kwh
    return item


async def import_rows(database: Database, *items: dict[str, str]) -> None:
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, dict(r)) for i, r in enumerate(items, 1)), rescan=None)
    assert report.inserted == len(items), report


async def buckets(database: Database) -> dict[str, dict[str, Any]]:
    return {d["_id"]: d async for d in database["meter_days"].find({})}


@pytest.fixture
async def meters(database: Database) -> MeterService:
    await import_rows(database, XIAN, BAOJI)
    service = MeterService(database)
    inserted, updated, errors = await service.register(SUPERVISOR, METERS)
    assert (inserted, updated, errors) == (3, 0, [])
    return service


# -- ingest ------------------------------------------------------------------------------------------------------


async def test_readings_are_bucketed_one_document_per_meter_per_utc_day(database: Database,
                                                                          meters: MeterService) -> None:
    day = TODAY - timedelta(days=3)
    nxt = day + timedelta(days=1)
    items = [reading("XA-P", at(day, 23 * 60 + 45), kw=1.0),
             reading("XA-P", at(nxt, 0), kw=2.0),
             # 07:30 in Xi'an is 23:30 UTC the day before: it belongs to the earlier UTC day.
             {"meter": "XA-P", "timestamp": f"{nxt.isoformat()}T07:30:00+08:00", "kw": "3.5"},
             # Seconds are dropped: a reading sits at its minute of the UTC day.
             {"meter": "XA-T", "timestamp": f"{day.isoformat()}T12:00:42Z", "kw": "4", "kwh": "10"}]
    report = await meters.ingest(SUPERVISOR, rows(items))
    assert (report.received, report.accepted, report.errors) == (4, 4, [])
    assert (report.buckets_created, report.buckets_changed) == (3, 0)
    stored = await buckets(database)
    code = XIAN["credit_code"]
    assert {key: (d["meter_id"], d["day"], d["credit_code"], d["r"]) for key, d in stored.items()} == {
        f"XA-P:{day}": ("XA-P", day.isoformat(), code, {"1410": {"kw": 3.5}, "1425": {"kw": 1.0}}),
        f"XA-P:{nxt}": ("XA-P", nxt.isoformat(), code, {"0": {"kw": 2.0}}),
        f"XA-T:{day}": ("XA-T", day.isoformat(), code, {"720": {"kw": 4.0, "kwh": 10.0}}),
    }
    # A later reading of an existing day changes that bucket; it creates none.
    more = await meters.ingest(SUPERVISOR, rows([reading("XA-P", at(nxt, 15), kw=2.5)]))
    assert (more.accepted, more.buckets_created, more.buckets_changed) == (1, 0, 1)
    assert (await buckets(database))[f"XA-P:{nxt}"]["r"] == {"0": {"kw": 2.0}, "15": {"kw": 2.5}}


def day_of_readings(day: date, *, start_kwh: float = 1000.0) -> list[dict[str, Any]]:
    """A UTC day of 15-minute readings for the Xi'an production and treatment meters, counters rising."""
    items = []
    for slot in range(96):
        moment = at(day, slot * 15)
        items.append(reading("XA-P", moment, kw=round(300 + slot, 1), kwh=start_kwh + slot * 75))
        items.append(reading("XA-T", moment, kw=30.0, kwh=start_kwh / 10 + slot * 7.5))
    return items


async def test_replaying_the_same_readings_changes_nothing(database: Database, meters: MeterService) -> None:
    items = day_of_readings(TODAY - timedelta(days=2)) + day_of_readings(TODAY - timedelta(days=1),
                                                                         start_kwh=9000.0)
    first = await meters.ingest(SUPERVISOR, rows(items))
    assert (first.accepted, first.buckets_created, first.errors) == (384, 4, [])
    stored = await buckets(database)
    last = {d["_id"]: d.get("last") async for d in database["meters"].find({})}
    for replay in (items, items[::-1], items[100:140]):  # whole, reversed, a slice from the middle
        again = await meters.ingest(SUPERVISOR, rows(replay))
        assert again.errors == [], again.errors[:3]  # a replay is no decreasing counter
        assert (again.accepted, again.buckets_created, again.buckets_changed) == (len(replay), 0, 0)
        assert await buckets(database) == stored
        assert {d["_id"]: d.get("last") async for d in database["meters"].find({})} == last
    assert last["XA-P"]["kwh"] == 9000.0 + 95 * 75


async def test_out_of_order_and_duplicate_readings_land_in_place(database: Database, meters: MeterService) -> None:
    day = TODAY - timedelta(days=1)
    ordered = [reading("XA-P", at(day, 15 * n), kw=100.0 + n, kwh=500.0 + 10 * n) for n in range(12)]
    shuffled = ordered + ordered[3:7]  # four readings sent twice
    random.Random(7).shuffle(shuffled)
    report = await meters.ingest(SUPERVISOR, rows(shuffled))
    assert (report.accepted, report.errors, report.buckets_created) == (16, [], 1)
    expected = {str(15 * n): {"kw": 100.0 + n, "kwh": 500.0 + 10 * n} for n in range(12)}
    assert (await buckets(database))[f"XA-P:{day}"]["r"] == expected
    # Later readings first, then the earlier ones (a device catching up): no counter error, same result.
    await database["meter_days"].delete_many({})
    await database["meters"].update_many({}, {"$unset": {"last": ""}})
    late = await meters.ingest(SUPERVISOR, rows(ordered[6:]))
    early = await meters.ingest(SUPERVISOR, rows(ordered[:6]))
    assert (late.errors, early.errors, late.accepted + early.accepted) == ([], [], 12)
    assert (await buckets(database))[f"XA-P:{day}"]["r"] == expected
    meter = await database["meters"].find_one({"_id": "XA-P"})
    assert (meter["last"]["ts"], meter["last"]["kwh"]) == (at(day, 165), 610.0)


async def test_bad_rows_are_coded_and_every_valid_row_is_kept(database: Database, meters: MeterService) -> None:
    day = TODAY - timedelta(days=1)
    items = [
        reading("XA-P", at(day, 0), kw=100, kwh=1000),  # 1 valid
        reading("NOPE", at(day, 0), kw=1),  # 2 unknown meter
        reading("BJ-P", at(day, 0), kw=1),  # 3 a Baoji meter: unknown to a Xi'an supervisor
        reading("XA-P", at(day, 15), kw=-5),  # 4 negative power
        reading("XA-P", at(day, 30), kwh=900),  # 5 counter below the batch's earlier 1000
        reading("XA-P", at(day, 45), kw=110, kwh=1010),  # 6 valid
        reading("XA-P", NOW + timedelta(hours=1), kw=1),  # 7 in the future
        reading("XA-P", at(day, 60), kw="abc"),  # 8 not a number
        reading("XA-P", at(day, 75), kw="NaN"),  # 9 not finite
        reading("XA-P", at(day, 90), kwh="1e400"),  # 10 overflows to infinity
        {"meter": "XA-P", "timestamp": "yesterday", "kw": "1"},  # 11
        {"meter": "XA-P", "timestamp": f"{day.isoformat()}T01:00:00", "kw": "1"},  # 12 no UTC offset
        {"meter": "", "timestamp": stamp(at(day, 0)), "kw": "1"},  # 13
        {"meter": "XA-T", "timestamp": stamp(at(day, 0))},  # 14 neither kw nor kwh
        reading("XA-T", at(day, 0), kw="0", kwh="0"),  # 15 valid: zero is a value
        reading("XA-T", at(day, 15), kw="", kwh="2.5"),  # 16 valid: empty kw is no kw
    ]
    report = await meters.ingest(XIAN_SUPERVISOR, rows(items))
    codes = {e.row: (e.field, e.code) for e in report.errors}
    assert codes == {2: ("meter", "UNKNOWN_METER"), 3: ("meter", "UNKNOWN_METER"), 4: ("kw", "NEGATIVE_VALUE"),
                     5: ("kwh", "DECREASING_COUNTER"), 7: ("timestamp", "IN_FUTURE"), 8: ("kw", "INVALID_NUMBER"),
                     9: ("kw", "INVALID_NUMBER"), 10: ("kwh", "INVALID_NUMBER"), 11: ("timestamp", "INVALID_TIMESTAMP"),
                     12: ("timestamp", "INVALID_TIMESTAMP"), 13: ("meter", "REQUIRED"), 14: ("kw", "REQUIRED")}
    assert all(e.message for e in report.errors)
    assert (report.received, report.accepted) == (16, 4)
    stored = await buckets(database)
    assert stored[f"XA-P:{day}"]["r"] == {"0": {"kw": 100.0, "kwh": 1000.0}, "45": {"kw": 110.0, "kwh": 1010.0}}
    assert stored[f"XA-T:{day}"]["r"] == {"0": {"kw": 0.0, "kwh": 0.0}, "15": {"kwh": 2.5}}
    assert not any(key.startswith("BJ-P") for key in stored)
    # Against the stored last reading (1010 at 00:45): a later, lower counter is refused, a higher one kept.
    later = await meters.ingest(XIAN_SUPERVISOR, rows([reading("XA-P", at(day, 120), kwh=1005),
                                                       reading("XA-P", at(day, 135), kwh=1020)]))
    assert [(e.row, e.code) for e in later.errors] == [(1, "DECREASING_COUNTER")] and later.accepted == 1
    assert set((await buckets(database))[f"XA-P:{day}"]["r"]) == {"0", "45", "135"}


async def test_a_boolean_is_not_a_number(database: Database, meters: MeterService) -> None:
    day = TODAY - timedelta(days=1)
    report = await meters.ingest(SUPERVISOR, rows([{"meter": "XA-P", "timestamp": stamp(at(day, 0)), "kw": True}]))
    assert [e.code for e in report.errors] == ["INVALID_NUMBER"], (
        "BUG core/nonsite/readings.py _number (lines 58-70): a JSON-lines reading {\"kw\": true} is stored as "
        f"1.0 kW because float(True) == 1.0; expected INVALID_NUMBER, got accepted={report.accepted}")


async def test_a_power_only_reading_does_not_reset_the_counter(database: Database, meters: MeterService) -> None:
    day = TODAY - timedelta(days=1)
    await meters.ingest(SUPERVISOR, rows([reading("XA-P", at(day, 0), kw=100, kwh=5000)]))
    await meters.ingest(SUPERVISOR, rows([reading("XA-P", at(day, 15), kw=101)]))  # no kwh in this reading
    report = await meters.ingest(SUPERVISOR, rows([reading("XA-P", at(day, 30), kwh=10)]))
    assert [e.code for e in report.errors] == ["DECREASING_COUNTER"], (
        "BUG core/nonsite/readings.py _write/MeterRepository.set_last (readings.py line 139, repository.py "
        "lines 90-94): a reading with kw only stores last = {ts, kwh: None}, so the stored counter (5000) is "
        "forgotten and a later kwh of 10 is accepted instead of DECREASING_COUNTER")


async def test_a_csv_row_with_extra_fields_is_refused(database: Database, meters: MeterService,
                                                      tmp_path: Path) -> None:
    day = TODAY - timedelta(days=1)
    path = tmp_path / "readings.csv"
    # Row 2 has a thousands separator that split its value: "1,200" is not 1 kW.
    path.write_text(f"meter,timestamp,kw\nXA-P,{stamp(at(day, 0))},100\nXA-P,{stamp(at(day, 15))},1,200\n",
                    encoding="utf-8")
    report = await meters.ingest(SUPERVISOR, open_rows(path, ["meter", "timestamp"]))
    assert report.accepted == 1 and [(e.row, e.code) for e in report.errors] == [(2, "MALFORMED_ROW")], (
        "BUG core/nonsite/readings.py parse (line 73): SourceRow.errors from the CSV reader (MALFORMED_ROW, "
        "INVALID_ENCODING) are ignored, so the row 'XA-P,<t>,1,200' is stored as kw=1.0; "
        f"accepted={report.accepted}, errors={[(e.row, e.code) for e in report.errors]}")


async def test_gaps_are_runs_of_missing_slots(database: Database, meters: MeterService) -> None:
    day = TODAY - timedelta(days=3)
    minutes = [m for m in range(0, 1440, 15) if not 120 <= m < 180 and not 600 <= m < 660]
    items = [reading("XA-P", at(day, m + (7 if m == 0 else 0)), kw=1) for m in minutes]  # 00:07 fills slot 0
    assert (await meters.ingest(SUPERVISOR, rows(items))).accepted == len(minutes)
    assert await meters.gaps(XIAN_SUPERVISOR, "XA-P", day, 1) == [(at(day, 120), at(day, 180)),
                                                                  (at(day, 600), at(day, 660))]
    # The next day has no reading at all: one gap of the whole day, joined to nothing before it.
    assert (await meters.gaps(XIAN_SUPERVISOR, "XA-P", day, 2))[-1] == (at(day, 1440), at(day, 2880))
    assert await meters.gaps(XIAN_SUPERVISOR, "XA-T", day, 1) == [(at(day, 0), at(day, 1440))]
    with pytest.raises(NotFound):
        await meters.gaps(XIAN_SUPERVISOR, "BJ-P", day, 1)  # outside the viewer's jurisdiction
    with pytest.raises(NotFound):
        await meters.gaps(XIAN_SUPERVISOR, "NOPE", day, 1)


async def test_register_refuses_other_jurisdictions_and_authors(database: Database, meters: MeterService) -> None:
    inserted, updated, errors = await meters.register(XIAN_SUPERVISOR, [
        {"meter_id": "XA-2", "credit_code": BAOJI["credit_code"], "role": "production", "rated_kw": 10},
        {"meter_id": "bad id!", "credit_code": XIAN["credit_code"], "role": "production", "rated_kw": 10},
        {"meter_id": "XA-3", "credit_code": XIAN["credit_code"], "role": "boiler", "rated_kw": 10},
        {"meter_id": "XA-4", "credit_code": XIAN["credit_code"], "role": "total", "rated_kw": 0}])
    assert (inserted, updated) == (0, 0)
    assert [(e.row, e.code) for e in errors] == [(2, "INVALID_VALUE"), (3, "INVALID_VALUE"), (4, "INVALID_VALUE"),
                                                 (1, "NOT_FOUND")]
    with pytest.raises(PermissionDenied):
        await meters.register(AUTHOR, METERS[:1])
    with pytest.raises(PermissionDenied):
        await meters.ingest(XIAN_INSPECTOR, rows([reading("XA-P", at(TODAY, 0), kw=1)]))
    assert await database["meters"].count_documents({}) == 3


async def test_a_supervisor_cannot_take_over_a_meter_of_another_jurisdiction(database: Database,
                                                                              meters: MeterService) -> None:
    inserted, updated, errors = await meters.register(XIAN_SUPERVISOR, [
        {"meter_id": "BJ-P", "credit_code": XIAN["credit_code"], "role": "production", "rated_kw": 1.0}])
    stored = await database["meters"].find_one({"_id": "BJ-P"})
    assert (stored["credit_code"], stored["jurisdiction"]) == (BAOJI["credit_code"], "610300"), (
        "BUG core/nonsite/meters.py MeterService.register (lines 52-60) + repository.upsert_meters: a Xi'an "
        "supervisor re-registering the Baoji meter id BJ-P under a Xi'an enterprise moves it to Xi'an "
        f"(inserted={inserted}, updated={updated}, errors={errors}); only the new enterprise's scope is checked, "
        "not the existing meter's")


async def test_readings_more_often_than_the_slot_are_not_summed(database: Database, meters: MeterService) -> None:
    """A halted plant reading 20 kW every 5 minutes is at 4 % of its 500 kW: no treatment alert (rule 17)."""
    policies = PolicyService(database, engine=RulesEngine())
    await policies.install_default_packs()
    day = TODAY - timedelta(days=1)
    items = []
    for minute in range(0, 1440, 5):
        items += [reading("XA-P", at(day, minute), kw=20.0), reading("XA-T", at(day, minute), kw=0.5)]
    assert (await meters.ingest(SUPERVISOR, rows(items))).accepted == len(items)
    result = await PowerScanService(database, policies=policies).scan(scopes=["610100"], start=day, days=1)
    found = [(a["kind"], a["detail"].get("production_kw")) async for a in database["power_alerts"].find({})]
    assert result["anomalies"] == 0 and found == [], (
        "BUG core/nonsite/meters.py load_series (lines 99-102): readings of one meter inside one 15-minute slot "
        "are added up, so three 5-minute readings of 20 kW become 60 kW (> the 50 kW production threshold) and a "
        f"halted plant gets {found[:2]}; expected the slot's mean (20 kW) and no alert")


# -- the scan on the demo week -------------------------------------------------------------------------------------


async def measures_by_code(database: Database, alert_id: str) -> dict[str, tuple[str, float]]:
    return {m["credit_code"]: (m["measure"], float(m["reduction_pct"]))
            async for m in database["alert_measures"].find({"alert_id": alert_id})}


@pytest.fixture
async def demo_week(database: Database) -> dict[str, Any]:
    """Demo enterprises, an orange alert over Xi'an for the last three days of the week, the demo meters and week.

    The plants with a problem of their own (treatment off, night shift, halted one day) are A-graded or otherwise
    self-determined under the alert, so that nothing but their own problem can be alerted; the plant that
    ignores alerts is one the alert halts; one more plant is cut (reduce) and keeps producing."""
    rows_ = list(generator.generate_enterprises(300, today=TODAY))
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, r) for i, r in enumerate(rows_, 1)), rescan=None)
    assert report.failed == 0
    policies = PolicyService(database, engine=RulesEngine())
    await policies.install_default_packs()
    start = TODAY - timedelta(days=8)
    issued_at = at(start + timedelta(days=4), 0) - timedelta(hours=1)  # as the supervisor issued it then
    alert = await AlertService(database, compute_measures=policy_measures(database, policies),
                               clock=lambda: issued_at).issue(SUPERVISOR, {
        "level": "orange", "jurisdictions": ["610100"], "starts_at": at(start + timedelta(days=4), 0),
        "ends_at": at(start + timedelta(days=7), 0), "source": "西安市重污染天气应急指挥部"})
    measures = await measures_by_code(database, alert.id)
    calm = [c for c, (m, _) in measures.items() if m == "self_determined"]
    halted_by_alert = [c for c, (m, _) in measures.items() if m == "halt"]
    cut = [c for c, (m, _) in measures.items() if m == "reduce"]
    assert len(calm) >= 6 and halted_by_alert and cut, Counter(m for m, _ in measures.values())
    codes = [calm[0], calm[1], halted_by_alert[0], calm[2], cut[0], calm[3], calm[4], calm[5]]
    service = MeterService(database)
    inserted, _, errors = await service.register(SUPERVISOR, demo_meters(codes))
    assert (inserted, errors) == (16, [])
    ingest = await service.ingest(SUPERVISOR, (SourceRow(n, r) for n, r in
                                               enumerate(week_of_readings(codes, start), start=1)))
    assert (ingest.accepted, ingest.errors, ingest.buckets_created) == (8 * 2 * 7 * 96, [], 8 * 2 * 7)
    return {"codes": codes, "start": start, "scanner": PowerScanService(database, policies=policies), "alert": alert,
            "cut_pct": measures[cut[0]][1]}


async def alerts_by_code(database: Database) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    async for doc in database["power_alerts"].find({}).sort("starts_at", 1):
        found.setdefault(doc["credit_code"], []).append(doc)
    return found


def spans(docs: list[dict[str, Any]], kind: str) -> list[tuple[datetime, datetime, int]]:
    return [(d["starts_at"], d["ends_at"], d["minutes"]) for d in docs if d["kind"] == kind]


async def test_scan_finds_the_demo_problems_and_only_them(database: Database, demo_week: dict[str, Any]) -> None:
    codes, start = demo_week["codes"], demo_week["start"]
    off, night, ignores, halted, cut, *normal = codes
    result = await demo_week["scanner"].scan(scopes=["610100"], start=start, days=7)
    assert result["enterprises"] == 8 and result["policy_version"] == "electricity_triggers:610000:v1"
    found = await alerts_by_code(database)
    assert result["created"] == result["anomalies"] == sum(len(v) for v in found.values())

    # Rule 17: four hours (12:00-16:00 in Xi'an, 04:00-08:00 UTC) on day 2 with the treatment off.
    day2 = start + timedelta(days=2)
    assert [d["kind"] for d in found[off]] == ["treatment_not_running"]
    assert spans(found[off], "treatment_not_running") == [(at(day2, 240), at(day2, 480), 240)]
    detail = found[off][0]["detail"]
    assert detail["production_kw"] > detail["production_threshold_kw"] == 50.0
    assert detail["treatment_kw"] < detail["treatment_threshold_kw"] == 2.5
    assert found[off][0]["stage"] == "pushed" and found[off][0]["jurisdiction"] == "610100"

    # §5.1: the night-shift plant is put on the watch list for the window, nothing else.
    assert [d["kind"] for d in found[night]] == ["night_day_watch"]
    watch = found[night][0]
    assert (watch["starts_at"], watch["ends_at"], watch["severity"]) == (at(start, 0), at(start, 7 * 1440), "low")
    assert watch["detail"]["ratio"] > 1.5

    # Rule 17, false positive: the plant halted on day 3 (production and treatment off) raises nothing.
    assert halted not in found
    # Rule 18: the plant the alert halts keeps its day shift on each of the alert's three days (00:00-12:00 UTC).
    halts = [(at(start + timedelta(days=d), 0), at(start + timedelta(days=d), 720), 720) for d in (4, 5, 6)]
    assert spans(found[ignores], "halt_violation") == halts
    assert {d["kind"] for d in found[ignores]} == {"halt_violation"}
    assert {d["severity"] for d in found[ignores]} == {"high"}
    # Rule 18: the cut plant draws as much as before the alert: one restriction violation over the alert.
    assert [(d["kind"], d["starts_at"]) for d in found[cut]] == [("restriction_violation", at(start, 4 * 1440))]
    assert found[cut][0]["detail"]["required_cut_pct"] == demo_week["cut_pct"] > 0
    # Ordinary plants with self-determined measures: nothing.
    assert not set(normal) & set(found)


async def test_rescanning_creates_nothing_new(database: Database, demo_week: dict[str, Any]) -> None:
    scanner, start = demo_week["scanner"], demo_week["start"]
    first = await scanner.scan(scopes=["610100"], start=start, days=7)
    ids = sorted([d["_id"] async for d in database["power_alerts"].find({})])
    again = await scanner.scan(scopes=["610100"], start=start, days=7)
    assert first["created"] > 0 and again["created"] == 0 and again["anomalies"] == first["anomalies"]
    assert sorted([d["_id"] async for d in database["power_alerts"].find({})]) == ids
    # A scan of another jurisdiction sees no meter and finds nothing.
    assert await scanner.scan(scopes=["610300"], start=start, days=7) == {
        "enterprises": 0, "anomalies": 0, "created": 0, "found": []}


async def test_without_the_alert_the_same_week_has_no_halt_violation(database: Database,
                                                                     demo_week: dict[str, Any]) -> None:
    await database["alerts"].delete_many({})
    await database["alert_measures"].delete_many({})
    await demo_week["scanner"].scan(scopes=["610100"], start=demo_week["start"], days=7)
    kinds = Counter([d["kind"] async for d in database["power_alerts"].find({})])
    assert kinds == {"treatment_not_running": 1, "night_day_watch": 1}


# -- the power-alert lifecycle -------------------------------------------------------------------------------------


@pytest.fixture
async def power_alert(database: Database, meters: MeterService) -> str:
    """One treatment-not-running alert for the Xi'an enterprise (two hours on a day of last week)."""
    policies = PolicyService(database, engine=RulesEngine())
    await policies.install_default_packs()
    day = TODAY - timedelta(days=4)
    items = []
    for slot in range(8, 16):
        items += [reading("XA-P", at(day, slot * 15), kw=400.0), reading("XA-T", at(day, slot * 15), kw=0.5)]
    assert (await meters.ingest(SUPERVISOR, rows(items))).accepted == 16
    scanned = await PowerScanService(database, policies=policies).scan(scopes=["610100"], start=day, days=1)
    assert scanned["created"] == 1
    doc = await database["power_alerts"].find_one({})
    assert (doc["kind"], doc["starts_at"], doc["minutes"]) == ("treatment_not_running", at(day, 120), 120)
    return str(doc["_id"])


async def test_power_alert_lifecycle_in_order_with_verifier_and_evidence(database: Database,
                                                                         power_alert: str) -> None:
    service = PowerAlertService(database)

    async def advance(viewer: Viewer, version: int, action: str, **extra: Any) -> Any:
        return await service.advance(viewer, power_alert, version=version, action=action, note=action,
                                     evidence=extra.get("evidence", []), violation=extra.get("violation"))

    for action in ("feedback", "verify", "review"):
        with pytest.raises(Conflict) as early:
            await advance(SUPERVISOR, 1, action, evidence=["e1"], violation=True)
        assert early.value.code == "WRONG_STAGE"
    with pytest.raises(PermissionDenied):
        await advance(XIAN_INSPECTOR, 1, "handle")  # handling is for supervisors
    with pytest.raises(ValidationFailed) as unknown:
        await advance(SUPERVISOR, 1, "close")
    assert unknown.value.code == "INVALID_VALUE"
    handled = await advance(XIAN_SUPERVISOR, 1, "handle")
    assert (handled.stage.value, handled.version) == ("handled", 2)
    with pytest.raises(Conflict) as twice:
        await advance(XIAN_SUPERVISOR, 2, "handle")
    assert twice.value.code == "WRONG_STAGE"
    with pytest.raises(Conflict) as stale:
        await advance(XIAN_INSPECTOR, 1, "feedback")
    assert stale.value.code == "STALE_VERSION"
    fed = await advance(XIAN_INSPECTOR, 2, "feedback")
    assert fed.stage.value == "fed_back"
    for missing in ({"evidence": [], "violation": True}, {"evidence": ["e1"], "violation": None}):
        with pytest.raises(ValidationFailed) as refused:
            await advance(XIAN_INSPECTOR, 3, "verify", **missing)
        assert refused.value.code == "EVIDENCE_REQUIRED"
    verified = await advance(XIAN_INSPECTOR, 3, "verify", evidence=["e1", "e2"], violation=False)
    assert (verified.stage.value, verified.verifier, verified.evidence, verified.violation) == (
        "verified", "insp", ["e1", "e2"], False)
    with pytest.raises(PermissionDenied):
        await advance(XIAN_INSPECTOR, 4, "review")  # reviewing is for supervisors
    reviewed = await advance(SUPERVISOR, 4, "review")
    assert (reviewed.stage.value, reviewed.version) == ("reviewed", 5)
    assert [(h["actor"], h["action"]) for h in reviewed.history] == [
        ("scan", "push"), ("xian", "handle"), ("insp", "feedback"), ("insp", "verify"), ("chief", "review")]
    assert [a.id for a in await service.list_alerts(SUPERVISOR, open_only=True)] == []
    assert [a.id for a in await service.list_alerts(SUPERVISOR, open_only=False)] == [power_alert]


async def test_review_needs_a_verifier(database: Database, power_alert: str) -> None:
    # A record moved to "verified" without verification (e.g. by an old import) cannot be closed.
    await database["power_alerts"].update_one({"_id": power_alert}, {"$set": {"stage": "verified"}})
    with pytest.raises(Conflict) as refused:
        await PowerAlertService(database).advance(SUPERVISOR, power_alert, version=1, action="review", note="",
                                                  evidence=[], violation=None)
    assert refused.value.code == "NOT_VERIFIED"
    assert (await database["power_alerts"].find_one({"_id": power_alert}))["version"] == 1


async def test_power_alerts_are_scoped_and_refused_to_rule_authors(database: Database, power_alert: str) -> None:
    service = PowerAlertService(database)
    assert [a.id for a in await service.list_alerts(XIAN_INSPECTOR, open_only=True)] == [power_alert]
    assert await service.list_alerts(BAOJI_INSPECTOR, open_only=True) == []
    with pytest.raises(PermissionDenied):
        await service.list_alerts(AUTHOR, open_only=True)
    for viewer in (AUTHOR, BAOJI_INSPECTOR):
        with pytest.raises(NotFound):
            await service.advance(viewer, power_alert, version=1, action="handle", note="", evidence=[],
                                  violation=None)
        with pytest.raises(NotFound):
            await service.create_task(viewer, power_alert)
    assert (await database["power_alerts"].find_one({"_id": power_alert}))["version"] == 1


async def test_create_task_makes_one_anomaly_verification_task(database: Database, power_alert: str) -> None:
    service = PowerAlertService(database)
    with pytest.raises(PermissionDenied):
        await service.create_task(XIAN_INSPECTOR, power_alert)
    task_id = await service.create_task(XIAN_SUPERVISOR, power_alert)
    assert await service.create_task(SUPERVISOR, power_alert) == task_id  # once per alert
    tasks = await InspectionRepository(database).targeted_of(origin(power_alert))
    assert [(t.id, t.kind, t.plan_id, t.credit_code, t.jurisdiction, t.status.value) for t in tasks] == [
        (task_id, "anomaly_verification", None, XIAN["credit_code"], "610100", "unstaffed")]
    assert tasks[0].target is not None and tasks[0].target["power_alert"] == power_alert
    assert tasks[0].target["kind"] == "treatment_not_running"
    alert = await service.get(SUPERVISOR, power_alert)
    assert (alert.task_id, alert.version) == (task_id, 2)
