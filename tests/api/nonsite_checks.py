"""Authorization checks for the non-site fields (meters, power alerts, complaints, hotspots, drone flights), used by
the authorization matrix.

Each check gets fresh objects from the province supervisor (``setup``) and, for a call that is refused, checks
through ``setup`` that nothing was written. Power alerts come from readings with two hours of treatment off on a
day of their own per role and city (no two checks share a day), scanned through the API. Services refuse rule
authors (they pass the ANY_ROLE gate of ACCESS) and filter by jurisdiction. ``seed_nonsite_matrix`` imports the two
enterprises (when the matrix's ``seeded`` fixture has not) and two inspectors per city, so that staffing succeeds.
"""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from alert_checks import EDITS, SUPERVISE
from conftest import USERS, enterprise_row, gql
from event_checks import seeded_code

from api.graphql.relay import to_global_id
from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors
from core.registry.rows import ENTERPRISE_COLUMNS

CITY = {"xian": "610100", "baoji": "610300"}
ROLES = ["anonymous", *USERS]
AUTHORS = {"author", "xian_author", "xian_lawyer"}  # accounts outside field enforcement
INSPECTORS = {"xian_inspector", "baoji_inspector"}
# Enforcement staff (not rule authors) whose jurisdiction covers the city.
NONSITE_STAFF = {"xian": {"prov_supervisor", "xian_supervisor", "xian_inspector", "admin"},
                 "baoji": {"prov_supervisor", "baoji_inspector", "admin"}}
TODAY = datetime.now(UTC).date()

REGISTER = """mutation($m: [MeterInput!]!) { registerMeters(meters: $m) { inserted updated userErrors { code } } }"""
INGEST = """mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { received accepted bucketsCreated
  userErrors { code } } }"""
SCAN = "mutation($i: ScanInput!) { scanPowerUsage(input: $i) { enterprises anomalies created policyVersion } }"
ALERTS = "query($o: Boolean!) { powerAlerts(openOnly: $o) { alertId creditCode startsAt stage version taskId } }"
GAPS = "query($m: String!, $s: Date!) { meterGaps(meterId: $m, start: $s, days: 1) { from to } }"
ADVANCE = """mutation($i: AdvancePowerAlertInput!) { advancePowerAlert(input: $i) { alert { alertId stage version }
  userErrors { code } } }"""
CREATE_TASK = """mutation($a: String!) { createPowerAlertTask(alertId: $a) { taskId userErrors { code } } }"""
TASK = "query($id: ID!) { node(id: $id) { ... on Task { kind status inspectors creditCode planId } } }"
STAFF = "mutation($o: String!) { staffTargetedTasks(origin: $o) { staffed unstaffed seed } }"
RECORD_FIELDS = "replayed taskId userErrors { code }"
COMPLAINT_FIELDS = "complaintId status jurisdiction recordedBy closedBy"
COMPLAINT = (f"mutation($i: ComplaintInput!) {{ recordComplaint(input: $i) {{ record {{ {COMPLAINT_FIELDS} }} "
             f"{RECORD_FIELDS} }} }}")
CLOSE = (f"mutation($i: CloseComplaintInput!) {{ closeComplaint(input: $i) {{ record {{ {COMPLAINT_FIELDS} }} "
         f"{RECORD_FIELDS} }} }}")
COMPLAINTS = f"{{ complaints {{ {COMPLAINT_FIELDS} }} }}"
HOTSPOT = f"mutation($i: HotspotInput!) {{ recordHotspotAlert(input: $i) {{ record {{ cellId }} {RECORD_FIELDS} }} }}"
PROGRESS = "query($o: String!) { fieldProgress(origin: $o) { total } }"
FLIGHT_FIELDS = "flightId jurisdiction passes { creditCode }"
FLIGHT = (f"mutation($i: DroneFlightInput!) {{ recordDroneFlight(input: $i) {{ record {{ {FLIGHT_FIELDS} }} "
          f"{RECORD_FIELDS} }} }}")
SHOW_FLIGHT = f"query($f: String!) {{ droneFlight(flightId: $f) {{ {FLIGHT_FIELDS} }} }}"
INSPECTOR_LIST = "query($j: String) { inspectors(first: 10, jurisdiction: $j) { edges { node { staffId } } } }"


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def _gate(result: dict[str, Any], role: str, allowed: frozenset[str] | set[str]) -> bool:
    """The ACCESS gate: True when the call got past it (asserting the refusal otherwise)."""
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED", result
        return False
    if role not in allowed:
        assert _code(result) == "FORBIDDEN" and result["data"] is None, result
        return False
    return True


def _day(role: str, where: str) -> date:
    """A UTC day of its own for each role and city (readings and alerts of different calls never meet)."""
    return TODAY - timedelta(days=1 + 2 * ROLES.index(role) + (where == "baoji"))


def _at(day: date, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _same(text: str, moment: datetime) -> bool:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) == moment


def _meter(where: str, role: str = "treatment") -> str:
    return f"MX-{where}-{'T' if role == 'treatment' else 'P'}"


async def _readings(client: httpx.AsyncClient, setup: str, role: str, where: str) -> tuple[str, date]:
    """The city's two meters, and on the role's day two hours (02:00-04:00 UTC) of production with treatment off."""
    code = await seeded_code(client, setup, where)
    meters = [{"meterId": _meter(where, "production"), "creditCode": code, "role": "production", "ratedKw": 500.0},
              {"meterId": _meter(where), "creditCode": code, "role": "treatment", "ratedKw": 50.0}]
    registered = (await gql(client, REGISTER, {"m": meters}, token=setup))["data"]["registerMeters"]
    assert registered["userErrors"] == [], registered
    day = _day(role, where)
    readings = []
    for slot in range(8, 16):
        stamp = _iso(_at(day, slot * 15))
        readings += [{"meter": _meter(where, "production"), "timestamp": stamp, "kw": 400.0},
                     {"meter": _meter(where), "timestamp": stamp, "kw": 0.5}]
    ingested = (await gql(client, INGEST, {"r": readings}, token=setup))["data"]["ingestReadings"]
    assert ingested["accepted"] == 16, ingested
    return code, day


async def _scan(client: httpx.AsyncClient, token: str | None, where: str, day: date) -> dict[str, Any]:
    return await gql(client, SCAN, {"i": {"start": day.isoformat(), "days": 1, "jurisdiction": CITY[where]}},
                     token=token)


async def _find_alert(client: httpx.AsyncClient, setup: str, code: str, day: date) -> dict[str, Any] | None:
    listed = (await gql(client, ALERTS, {"o": False}, token=setup))["data"]["powerAlerts"]
    return next((a for a in listed if a["creditCode"] == code and _same(a["startsAt"], _at(day, 120))), None)


async def make_power_alert(client: httpx.AsyncClient, setup: str, role: str, where: str) -> dict[str, Any]:
    """A fresh treatment-not-running alert (stage pushed, version 1) for the city's enterprise."""
    code, day = await _readings(client, setup, role, where)
    scanned = (await _scan(client, setup, where, day))["data"]["scanPowerUsage"]
    assert scanned["created"] == 1, scanned
    alert = await _find_alert(client, setup, code, day)
    assert alert is not None and (alert["stage"], alert["version"]) == ("pushed", 1), alert
    return alert


def complaint_input(code: str, where: str) -> dict[str, Any]:
    return {"complaintId": str(uuid.uuid4()), "channel": "12369", "receivedAt": _iso(datetime.now(UTC)),
            "jurisdiction": CITY[where], "content": "排放口夜间冒黑烟", "creditCode": code}


async def make_complaint(client: httpx.AsyncClient, setup: str, where: str) -> dict[str, Any]:
    data = complaint_input(await seeded_code(client, setup, where), where)
    payload = (await gql(client, COMPLAINT, {"i": data}, token=setup))["data"]["recordComplaint"]
    assert payload["userErrors"] == [] and payload["taskId"], payload
    return {**data, "taskId": payload["taskId"]}


async def complaint_status(client: httpx.AsyncClient, setup: str, complaint_id: str) -> str | None:
    listed = (await gql(client, COMPLAINTS, token=setup))["data"]["complaints"]
    return next((c["status"] for c in listed if c["complaintId"] == complaint_id), None)


def track(where: str) -> str:
    """A CSV flight log crossing the seeded enterprises' location (34.2, 108.9) from west to east."""
    begin = _at(TODAY - timedelta(days=1), 60 + (where == "baoji"))
    rows = [f"{_iso(begin + timedelta(seconds=10 * n))},34.200000,{108.895 + n * 0.001:.6f},100" for n in range(11)]
    return "time,lat,lon,alt\n" + "\n".join(rows) + "\n"


def flight_input(where: str, flight_id: str | None = None) -> dict[str, Any]:
    return {"flightId": flight_id or str(uuid.uuid4()), "jurisdiction": CITY[where], "format": "csv",
            "track": track(where)}


# -- queries --------------------------------------------------------------------------------------------------------


async def check_power_alerts(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                             setup: str) -> None:
    alert = await make_power_alert(client, setup, role, where)
    result = await gql(client, ALERTS, {"o": True}, token=token)
    if not _gate(result, role, set(ROLES) - {"anonymous"}):
        return
    if role in AUTHORS:
        assert _code(result) == "FORBIDDEN" and result["data"] is None, result  # the service refuses rule authors
        return
    listed = {a["alertId"] for a in result["data"]["powerAlerts"]}
    assert (alert["alertId"] in listed) == (role in NONSITE_STAFF[where]), (role, where, result)


async def check_meter_gaps(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                           setup: str) -> None:
    _, day = await _readings(client, setup, role, where)
    result = await gql(client, GAPS, {"m": _meter(where), "s": day.isoformat()}, token=token)
    if not _gate(result, role, SUPERVISE):
        return
    if role in EDITS[where]:
        assert result["data"]["meterGaps"] == [
            {"from": _at(day).isoformat(), "to": _at(day, 120).isoformat()},
            {"from": _at(day, 240).isoformat(), "to": _at(day, 1440).isoformat()}], result
    else:
        assert _code(result) == "NOT_FOUND" and result["data"] is None, result


async def check_complaints(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                           setup: str) -> None:
    complaint = await make_complaint(client, setup, where)
    result = await gql(client, COMPLAINTS, token=token)
    if not _gate(result, role, SUPERVISE):
        return
    listed = {c["complaintId"]: c for c in result["data"]["complaints"]}
    assert (complaint["complaintId"] in listed) == (role in EDITS[where]), (role, where)
    if role == "xian_supervisor":  # nothing of another city leaks into the list
        assert {c["jurisdiction"] for c in listed.values()} <= {"610100"}, listed


async def check_drone_flight(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                             setup: str) -> None:
    flight_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecoinspect-matrix-flight-{where}"))  # replayed after the first
    recorded = (await gql(client, FLIGHT, {"i": flight_input(where, flight_id)}, token=setup))["data"]
    assert recorded["recordDroneFlight"]["userErrors"] == [], recorded
    result = await gql(client, SHOW_FLIGHT, {"f": flight_id}, token=token)
    if not _gate(result, role, set(ROLES) - {"anonymous"}):
        return
    assert not result.get("errors"), result
    shown = result["data"]["droneFlight"]
    if role in NONSITE_STAFF[where]:
        code = await seeded_code(client, setup, where)
        assert shown["jurisdiction"] == CITY[where] and [p["creditCode"] for p in shown["passes"]] == [code]
    else:
        assert shown is None, (role, where, shown)


# -- meters, scan, power alerts -------------------------------------------------------------------------------------


async def check_register_meters(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    code = await seeded_code(client, setup, where)
    meter_id = f"MR-{where}-{ROLES.index(role)}"
    result = await gql(client, REGISTER, {"m": [{"meterId": meter_id, "creditCode": code, "role": "total",
                                                 "ratedKw": 800.0}]}, token=token)
    written = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["registerMeters"]
        written = role in EDITS[where]
        expected = {"inserted": 1, "updated": 0, "userErrors": []} if written else {
            "inserted": 0, "updated": 0, "userErrors": [{"code": "NOT_FOUND"}]}
        assert payload == expected, (role, where, payload)
    seen = await gql(client, GAPS, {"m": meter_id, "s": TODAY.isoformat()}, token=setup)
    if written:  # a meter without readings: the whole day is one gap
        assert seen["data"]["meterGaps"] == [{"from": _at(TODAY).isoformat(), "to": _at(TODAY, 1440).isoformat()}]
    else:
        assert _code(seen) == "NOT_FOUND", seen


async def check_ingest_readings(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    code = await seeded_code(client, setup, where)
    await gql(client, REGISTER, {"m": [{"meterId": _meter(where), "creditCode": code, "role": "treatment",
                                        "ratedKw": 50.0}]}, token=setup)
    day = _day(role, where)
    result = await gql(client, INGEST, {"r": [{"meter": _meter(where), "timestamp": _iso(_at(day, 60)),
                                               "kw": 10.0}]}, token=token)
    written = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["ingestReadings"]
        written = role in EDITS[where]
        expected = {"received": 1, "accepted": 1, "bucketsCreated": 1, "userErrors": []} if written else {
            "received": 1, "accepted": 0, "bucketsCreated": 0, "userErrors": [{"code": "UNKNOWN_METER"}]}
        assert payload == expected, (role, where, payload)
    gaps = (await gql(client, GAPS, {"m": _meter(where), "s": day.isoformat()}, token=setup))["data"]["meterGaps"]
    whole = [{"from": _at(day).isoformat(), "to": _at(day, 1440).isoformat()}]
    assert (gaps != whole) == written, (role, where, gaps)


async def check_scan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    code, day = await _readings(client, setup, role, where)
    result = await _scan(client, token, where, day)
    written = False
    if _gate(result, role, SUPERVISE):
        if role in EDITS[where]:
            scanned = result["data"]["scanPowerUsage"]
            assert (scanned["enterprises"], scanned["anomalies"], scanned["created"]) == (1, 1, 1), result
            written = True
        else:  # a jurisdiction the supervisor does not cover
            assert _code(result) == "INVALID_VALUE" and result["data"] is None, result
    assert (await _find_alert(client, setup, code, day) is not None) == written, (role, where)


async def check_advance(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    alert = await make_power_alert(client, setup, role, where)

    async def advance(who: str | None, version: int, action: str) -> dict[str, Any]:
        return await gql(client, ADVANCE, {"i": {"alertId": alert["alertId"], "version": version, "action": action}},
                         token=who)

    expected_stage = "pushed"
    if role in INSPECTORS:
        # Handling is for supervisors; feedback is for the inspectors of the alert's jurisdiction.
        handled = (await advance(token, 1, "handle"))["data"]["advancePowerAlert"]
        assert _codes(handled) == ["FORBIDDEN" if role in NONSITE_STAFF[where] else "NOT_FOUND"], handled
        assert (await advance(setup, 1, "handle"))["data"]["advancePowerAlert"]["alert"]["stage"] == "handled"
        fed = (await advance(token, 2, "feedback"))["data"]["advancePowerAlert"]
        if role in NONSITE_STAFF[where]:
            assert fed["userErrors"] == [] and fed["alert"]["stage"] == "fed_back", fed
            expected_stage = "fed_back"
        else:
            assert fed == {"alert": None, "userErrors": [{"code": "NOT_FOUND"}]}, fed
            expected_stage = "handled"
    else:
        result = await advance(token, 1, "handle")
        if _gate(result, role, set(ROLES) - {"anonymous"}):
            payload = result["data"]["advancePowerAlert"]
            if role in NONSITE_STAFF[where]:
                assert payload["userErrors"] == [] and payload["alert"] == {
                    "alertId": alert["alertId"], "stage": "handled", "version": 2}, payload
                expected_stage = "handled"
            else:  # rule authors and supervisors of another city do not see the alert
                assert payload == {"alert": None, "userErrors": [{"code": "NOT_FOUND"}]}, (role, where, payload)
    stored = await _find_alert(client, setup, alert["creditCode"], _day(role, where))
    assert stored is not None and stored["stage"] == expected_stage, (role, where, stored)


async def check_create_task(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                            setup: str) -> None:
    alert = await make_power_alert(client, setup, role, where)
    result = await gql(client, CREATE_TASK, {"a": alert["alertId"]}, token=token)
    task_id = None
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["createPowerAlertTask"]
        if role in EDITS[where]:
            task_id = payload["taskId"]
            assert payload["userErrors"] == [] and task_id, payload
            node = (await gql(client, TASK, {"id": to_global_id("Task", task_id)}, token=setup))["data"]["node"]
            assert node == {"kind": "anomaly_verification", "status": "UNSTAFFED", "inspectors": [],
                            "creditCode": alert["creditCode"], "planId": None}, node
        else:
            assert payload == {"taskId": None, "userErrors": [{"code": "NOT_FOUND"}]}, payload
    stored = await _find_alert(client, setup, alert["creditCode"], _day(role, where))
    assert stored is not None and stored["taskId"] == task_id, (role, where, stored)


# -- targeted tasks, complaints, hotspots ---------------------------------------------------------------------------


async def check_staff_targeted(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                               setup: str) -> None:
    complaint = await make_complaint(client, setup, where)
    origin = f"complaint:{complaint['complaintId']}"
    result = await gql(client, STAFF, {"o": origin}, token=token)
    node = (await gql(client, TASK, {"id": to_global_id("Task", complaint["taskId"])}, token=setup))["data"]["node"]
    staffed = False
    if _gate(result, role, SUPERVISE):
        done = result["data"]["staffTargetedTasks"]
        if role in EDITS[where]:
            staff = await gql(client, INSPECTOR_LIST, {"j": CITY[where]}, token=setup)
            enough = len(staff["data"]["inspectors"]["edges"]) >= 2  # seed_nonsite_matrix imports two per city
            assert done["staffed"] == int(enough) and len(done["seed"]) == 64, done
            assert done["staffed"] + len(done["unstaffed"]) == 1, done
            staffed = enough
        else:
            assert done == {"staffed": 0, "unstaffed": {}, "seed": None}, (role, where, done)
    assert node["status"] == ("ASSIGNED" if staffed else "UNSTAFFED"), (role, where, node)
    assert len(node["inspectors"]) == (2 if staffed else 0)


async def check_record_complaint(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                 setup: str) -> None:
    data = complaint_input(await seeded_code(client, setup, where), where)
    result = await gql(client, COMPLAINT, {"i": data}, token=token)
    written = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["recordComplaint"]
        written = role in EDITS[where]
        if written:
            assert payload["userErrors"] == [] and payload["replayed"] is False and payload["taskId"], payload
            assert payload["record"]["status"] == "received" and payload["record"]["recordedBy"] == role
        else:
            assert payload == {"record": None, "replayed": False, "taskId": None,
                               "userErrors": [{"code": "FORBIDDEN"}]}, payload
    assert (await complaint_status(client, setup, data["complaintId"]) == "received") == written, (role, where)


async def check_close_complaint(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    complaint = await make_complaint(client, setup, where)
    result = await gql(client, CLOSE, {"i": {"complaintId": complaint["complaintId"], "founded": False,
                                             "note": role}}, token=token)
    closed = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["closeComplaint"]
        closed = role in EDITS[where]
        if closed:
            assert payload["userErrors"] == [] and payload["record"]["status"] == "unfounded", payload
            assert payload["record"]["closedBy"] == role
        else:
            assert payload == {"record": None, "replayed": False, "taskId": None,
                               "userErrors": [{"code": "NOT_FOUND"}]}, payload
    status = await complaint_status(client, setup, complaint["complaintId"])
    assert status == ("unfounded" if closed else "received"), (role, where, status)


LINK = (f"mutation($i: LinkComplaintInput!) {{ linkComplaint(input: $i) {{ record {{ {COMPLAINT_FIELDS} creditCode }} "
        "taskId userErrors { code } } }")
OVERDUE_COMPLAINTS = "{ overdueComplaints { complaintId jurisdiction dueOn } }"


async def check_link_complaint(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                               setup: str) -> None:
    """A complaint recorded without an enterprise (an area task), then linked to the city's enterprise."""
    code = await seeded_code(client, setup, where)
    data = {**complaint_input(code, where), "creditCode": None}
    recorded = (await gql(client, COMPLAINT, {"i": data}, token=setup))["data"]["recordComplaint"]
    assert recorded["userErrors"] == [] and recorded["taskId"], recorded  # the area task
    result = await gql(client, LINK, {"i": {"complaintId": data["complaintId"], "creditCode": code}}, token=token)
    linked = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["linkComplaint"]
        linked = role in EDITS[where]
        if linked:
            assert payload["userErrors"] == [] and payload["record"]["creditCode"] == code and payload["taskId"]
        else:
            assert payload == {"record": None, "taskId": None, "userErrors": [{"code": "NOT_FOUND"}]}, payload
    listed = (await gql(client, "{ complaints { complaintId creditCode } }", token=setup))["data"]["complaints"]
    stored = next(c for c in listed if c["complaintId"] == data["complaintId"])
    assert (stored["creditCode"] == code) == linked, (role, where, stored)


async def check_overdue_complaints(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                   setup: str) -> None:
    result = await gql(client, OVERDUE_COMPLAINTS, token=token)
    if _gate(result, role, SUPERVISE):
        assert "errors" not in result and isinstance(result["data"]["overdueComplaints"], list), result


async def check_hotspot(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    cell = f"M{ROLES.index(role)}_{where}"
    data = {"cellId": cell, "date": TODAY.isoformat(), "pm25": 160.0, "jurisdiction": CITY[where]}
    result = await gql(client, HOTSPOT, {"i": data}, token=token)
    written = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["recordHotspotAlert"]
        written = role in EDITS[where]
        if written:
            assert payload["userErrors"] == [] and payload["taskId"] and payload["record"]["cellId"] == cell
        else:
            assert _codes(payload) == ["FORBIDDEN"] and payload["taskId"] is None, payload
    origin = f"hotspot:{cell}:{TODAY.isoformat()}"
    progress = (await gql(client, PROGRESS, {"o": origin}, token=setup))["data"]["fieldProgress"]
    assert progress["total"] == int(written), (role, where, progress)


async def check_record_flight(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                              setup: str) -> None:
    data = flight_input(where)
    result = await gql(client, FLIGHT, {"i": data}, token=token)
    written = False
    if _gate(result, role, set(ROLES) - {"anonymous"}):
        payload = result["data"]["recordDroneFlight"]
        written = role in NONSITE_STAFF[where]
        if written:
            code = await seeded_code(client, setup, where)
            assert payload["userErrors"] == [] and payload["replayed"] is False, payload
            assert [p["creditCode"] for p in payload["record"]["passes"]] == [code], payload
        else:  # rule authors are refused; staff of another city do not find the jurisdiction
            assert _codes(payload) == ["FORBIDDEN" if role in AUTHORS else "NOT_FOUND"], (role, where, payload)
            assert payload["record"] is None
    shown = (await gql(client, SHOW_FLIGHT, {"f": data["flightId"]}, token=setup))["data"]["droneFlight"]
    assert (shown is not None) == written, (role, where)


NONSITE_CHECKS = {
    "Query.powerAlerts": check_power_alerts, "Query.meterGaps": check_meter_gaps,
    "Query.complaints": check_complaints, "Query.droneFlight": check_drone_flight,
    "Mutation.registerMeters": check_register_meters, "Mutation.ingestReadings": check_ingest_readings,
    "Mutation.scanPowerUsage": check_scan, "Mutation.advancePowerAlert": check_advance,
    "Mutation.createPowerAlertTask": check_create_task, "Mutation.staffTargetedTasks": check_staff_targeted,
    "Mutation.recordComplaint": check_record_complaint, "Mutation.closeComplaint": check_close_complaint,
    "Mutation.recordHotspotAlert": check_hotspot, "Mutation.recordDroneFlight": check_record_flight,
    "Mutation.linkComplaint": check_link_complaint, "Query.overdueComplaints": check_overdue_complaints,
}


# -- seeding (needs the database: no API imports inspectors) --------------------------------------------------------


async def seed_nonsite_matrix(database: Database, tmp_path: Path) -> None:
    """The matrix's two enterprises (unless its ``seeded`` fixture wrote them) and two inspectors per city."""
    if await database["enterprises"].count_documents({}) == 0:
        path = tmp_path / "nonsite-seed.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=ENTERPRISE_COLUMNS, restval="")
            writer.writeheader()
            writer.writerows([enterprise_row("91610100MA0009901", jurisdiction="610100"),
                              enterprise_row("91610300MA0009902", jurisdiction="610300")])
        assert (await import_enterprises(database, path, actor="seed")).inserted == 2
    if await database["inspectors"].count_documents({}) == 0:
        staff = tmp_path / "nonsite-inspectors.csv"
        staff.write_text(
            "staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
            "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n"
            "SX-610300-0001,丙,C3,2099-01-01,610300\nSX-610300-0002,丁,C4,2099-01-01,610300\n", encoding="utf-8")
        assert (await import_inspectors(database, staff)).inserted == 4
