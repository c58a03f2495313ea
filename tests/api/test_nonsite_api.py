"""Non-site supervision over HTTP on demo data: meters and a week of readings, an orange alert, the anomaly scan,
the power-alert lifecycle up to a case, complaints and hotspot cells as targeted tasks, a drone flight and its map.

The demo registry (core.demo.loader, 300 enterprises) is joined by a few imported Xi'an enterprises whose data the
test controls: the four problem plants of core.demo.meters (treatment off, night shift, ignores alerts — C-graded,
so that an orange alert halts it — and halted one day) and two sites at known positions for the drone.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import enterprise_row, gql, token_for

from api.graphql.relay import to_global_id
from core.accounts.models import Role, Viewer
from core.alerts.service import AlertService
from core.config import Settings
from core.db import Database
from core.demo import generator
from core.demo.loader import load_demo
from core.demo.meters import demo_meters, week_of_readings
from core.policies.service import PolicyService
from core.registry.rows import ENTERPRISE_COLUMNS
from rules.alert_measures import policy_measures
from rules.policy_engine import RulesEngine

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=8)  # the demo week: seven whole UTC days, all in the past
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLEAN = {"credit_tier": "green", "online_monitoring": "true", "permit_number": "P-1", "industry_code": "3971",
         "permit_valid_from": "2020-01-01", "permit_valid_to": "2099-01-01"}
OFF = enterprise_row("91610100MN0000001", name="西安市未央区清河铸造有限公司", performance_grade="A", **CLEAN)
NIGHT = enterprise_row("91610100MN0000002", name="西安市灞桥区夜班建材厂", performance_grade="A", **CLEAN)
IGNORES = enterprise_row("91610100MN0000003", name="西安市临潼区顽固砖瓦厂", industry_code="3971",
                         performance_grade="C")
HALTED = enterprise_row("91610100MN0000004", name="西安市高陵区停产机械厂", performance_grade="A", **CLEAN)
# Outside the demo's Xi'an box (lon 108.65-109.25, lat 34.05-34.45): only these two sites are near the drone.
HIT = enterprise_row("91610100MN0000005", name="西安市临潼区航拍目标化工厂", lon="109.600000", lat="34.600000",
                     **CLEAN)
MISS = enterprise_row("91610100MN0000006", name="西安市临潼区北侧涂装厂", lon="109.600000", lat="34.620000")
BAOJI = enterprise_row("91610300MN0000007", jurisdiction="610300")
PROBLEMS = [OFF, NIGHT, IGNORES, HALTED]

IMPORT = """mutation($c: String!) { importEnterprises(input: {format: CSV, content: $c}) {
  result { inserted errors { code } } userErrors { code } } }"""
REGISTER = """mutation($m: [MeterInput!]!) { registerMeters(meters: $m) { inserted updated
  userErrors { field code } } }"""
INGEST = """mutation($r: [ReadingInput!]!) { ingestReadings(readings: $r) { received accepted bucketsCreated
  bucketsChanged userErrors { field code } } }"""
SCAN = "mutation($i: ScanInput!) { scanPowerUsage(input: $i) { enterprises anomalies created policyVersion } }"
ALERTS = """query($o: Boolean!) { powerAlerts(openOnly: $o) { alertId creditCode kind severity startsAt endsAt
  minutes stage version verifier evidence violation taskId history { at actor action note } } }"""
ADVANCE = """mutation($i: AdvancePowerAlertInput!) { advancePowerAlert(input: $i) {
  alert { alertId stage version verifier evidence violation } userErrors { field code } } }"""
DOSSIER = """query($c: String!) { enterprise(creditCode: $c) { events { kind reference source recordedBy }
  decisions { kind outputs rules }
  } }"""
TASK = """query($id: ID!) { node(id: $id) { ... on Task { taskId kind planId drawId creditCode jurisdiction status
  inspectors target } } }"""
RECORD_FIELDS = "replayed taskId userErrors { field code }"
COMPLAINT_FIELDS = "complaintId status creditCode place { lat lon } closedBy closedAt"
COMPLAINT = (f"mutation($i: ComplaintInput!) {{ recordComplaint(input: $i) {{ record {{ {COMPLAINT_FIELDS} }} "
             f"{RECORD_FIELDS} }} }}")
CLOSE = (f"mutation($i: CloseComplaintInput!) {{ closeComplaint(input: $i) {{ record {{ {COMPLAINT_FIELDS} }} "
         f"{RECORD_FIELDS} }} }}")
COMPLAINTS = f"query($s: String) {{ complaints(status: $s) {{ {COMPLAINT_FIELDS} }} }}"
HOTSPOT = (f"mutation($i: HotspotInput!) {{ recordHotspotAlert(input: $i) {{ record {{ hotspotId cellId date pm25 }} "
           f"{RECORD_FIELDS} }} }}")
FLIGHT_FIELDS = ("flightId recordedBy points passes { creditCode distanceInsideM firstInside byRadius } "
                 "problems { code row evidenceId }")
FLIGHT = (f"mutation($i: DroneFlightInput!) {{ recordDroneFlight(input: $i) {{ record {{ {FLIGHT_FIELDS} }} "
          f"{RECORD_FIELDS} }} }}")
SHOW_FLIGHT = f"query($f: String!) {{ droneFlight(flightId: $f) {{ {FLIGHT_FIELDS} }} }}"
STAFF = "mutation($o: String!) { staffTargetedTasks(origin: $o) { staffed unstaffed seed } }"
PROGRESS = "query($o: String!) { fieldProgress(origin: $o) { total byStatus } }"


def csv_of(*rows: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ENTERPRISE_COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def at(day: date, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def same_instant(text: str, moment: datetime) -> bool:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) == moment


async def tokens_for(client: httpx.AsyncClient, *names: str) -> dict[str, str]:
    return {name: await token_for(client, name) for name in names}


@pytest.fixture
async def world(client: httpx.AsyncClient, database: Database, settings: Settings,
                users: dict[str, str]) -> dict[str, str]:
    """The demo registry, the controlled enterprises (imported through the API) and everyone's tokens."""
    message = await load_demo(database, settings, enterprises=300)
    assert message.startswith("demo: 300 enterprises"), message
    tokens = await tokens_for(client, "prov_supervisor", "xian_supervisor", "xian_inspector", "baoji_inspector",
                              "author")
    imported = await gql(client, IMPORT, {"c": csv_of(*PROBLEMS, HIT, MISS, BAOJI)}, token=tokens["prov_supervisor"])
    assert imported["data"]["importEnterprises"]["result"] == {"inserted": 7, "errors": []}, imported
    return tokens


def demo_codes() -> list[str]:
    """The four problem plants, then four ordinary demo plants in Xi'an whose measure under an alert is
    self-determined (A/A+ graded, or ungraded sector leaders): nothing may be alerted for them."""
    ordinary = [r["credit_code"] for r in generator.generate_enterprises(300, today=TODAY)
                if r["jurisdiction"] == "610100" and not r["guarantee_valid_to"]
                and (r["performance_grade"] in ("A", "A+") or r["performance_leading"] == "true")][:4]
    assert len(ordinary) == 4
    return [r["credit_code"] for r in PROBLEMS] + ordinary


async def post_readings(client: httpx.AsyncClient, body: str, token: str | None,
                        content_type: str = "text/csv") -> httpx.Response:
    headers = {"content-type": content_type, **({"authorization": f"Bearer {token}"} if token else {})}
    return await client.post("/meters/readings", content=body.encode(), headers=headers)


async def load_week(client: httpx.AsyncClient, token: str, codes: list[str]) -> list[dict[str, Any]]:
    """Register the demo meters; the first four days of readings go in as CSV, the last three through GraphQL."""
    meters = [{"meterId": m["meter_id"], "creditCode": m["credit_code"], "role": m["role"], "unit": m["unit"],
               "ratedKw": m["rated_kw"]} for m in demo_meters(codes)]
    registered = (await gql(client, REGISTER, {"m": meters}, token=token))["data"]["registerMeters"]
    assert registered == {"inserted": 16, "updated": 0, "userErrors": []}, registered
    week = list(week_of_readings(codes, START))
    split = iso(at(START + timedelta(days=4)))
    early = [r for r in week if r["timestamp"] < split]
    late = [r for r in week if r["timestamp"] >= split]
    body = "meter,timestamp,kw\n" + "".join(f"{r['meter']},{r['timestamp']},{r['kw']}\n" for r in early)
    response = await post_readings(client, body, token)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": len(early), "accepted": len(early), "bucketsCreated": 16 * 4,
                               "bucketsChanged": 0, "errors": [], "errorCount": 0}
    ingested = (await gql(client, INGEST, {"r": late}, token=token))["data"]["ingestReadings"]
    assert ingested == {"received": len(late), "accepted": len(late), "bucketsCreated": 16 * 3,
                        "bucketsChanged": 0, "userErrors": []}, ingested
    return week


async def issue_orange(database: Database) -> str:
    """An orange alert over Xi'an for the week's last three days, issued as the supervisor issued it then (its
    start day): the API refuses an alert that has already ended (ALERT_IN_PAST), and readings arrive later."""
    issued_at = at(START + timedelta(days=4)) - timedelta(hours=1)
    policies = PolicyService(database, engine=RulesEngine())
    service = AlertService(database, compute_measures=policy_measures(database, policies), clock=lambda: issued_at)
    boss = Viewer(username="prov_supervisor", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
    alert = await service.issue(boss, {"level": "orange", "jurisdictions": ["610100"],
                                       "starts_at": at(START + timedelta(days=4)),
                                       "ends_at": at(START + timedelta(days=7)), "source": "西安市应急办"})
    assert alert.affected > 7
    return alert.id


async def dossier(client: httpx.AsyncClient, token: str, code: str) -> tuple[list[str], dict[str, Any]]:
    found = (await gql(client, DOSSIER, {"c": code}, token=token))["data"]["enterprise"]
    return [e["kind"] for e in found["events"]], {d["kind"]: (d["outputs"], d["rules"]) for d in found["decisions"]}


async def task_node(client: httpx.AsyncClient, token: str, task_id: str) -> dict[str, Any] | None:
    result = await gql(client, TASK, {"id": to_global_id("Task", task_id)}, token=token)
    return result["data"]["node"]


# -- meters, the scan and the power-alert lifecycle ----------------------------------------------------------------


async def test_a_week_of_readings_an_orange_alert_and_the_scan(client: httpx.AsyncClient, database: Database,
                                                               world: dict[str, str]) -> None:
    boss = world["prov_supervisor"]
    codes = demo_codes()
    week = await load_week(client, boss, codes)
    # Replays change nothing, by either door.
    again = (await gql(client, INGEST, {"r": week[:4000]}, token=boss))["data"]["ingestReadings"]
    assert (again["accepted"], again["bucketsCreated"], again["bucketsChanged"]) == (4000, 0, 0)
    body = "meter,timestamp,kw\n" + "".join(f"{r['meter']},{r['timestamp']},{r['kw']}\n" for r in week[-500:])
    replay = (await post_readings(client, body, boss)).json()
    assert (replay["accepted"], replay["bucketsCreated"], replay["bucketsChanged"]) == (500, 0, 0)

    await issue_orange(database)
    scanned = await gql(client, SCAN, {"i": {"start": START.isoformat(), "days": 7, "jurisdiction": "610100"}},
                        token=world["xian_supervisor"])
    result = scanned["data"]["scanPowerUsage"]
    assert result["enterprises"] == 8 and result["created"] == result["anomalies"] == 5, scanned
    assert result["policyVersion"], scanned  # the electricity-trigger thresholds in force
    rescanned = await gql(client, SCAN, {"i": {"start": START.isoformat(), "days": 7}}, token=boss)
    assert rescanned["data"]["scanPowerUsage"]["created"] == 0  # the province scan finds the same, adds nothing

    listed = (await gql(client, ALERTS, {"o": True}, token=boss))["data"]["powerAlerts"]
    off, night, ignores, halted, *ordinary = codes
    kinds = sorted((a["creditCode"], a["kind"]) for a in listed)
    assert kinds == sorted([(off, "treatment_not_running"), (night, "night_day_watch"),
                            *[(ignores, "halt_violation")] * 3]), kinds
    assert halted not in {a["creditCode"] for a in listed} and not set(ordinary) & {a["creditCode"] for a in listed}
    treatment = next(a for a in listed if a["kind"] == "treatment_not_running")
    day2 = START + timedelta(days=2)
    assert same_instant(treatment["startsAt"], at(day2, 240)) and same_instant(treatment["endsAt"], at(day2, 480))
    assert (treatment["minutes"], treatment["stage"], treatment["version"]) == (240, "pushed", 1)
    history = await gql(client, "query($c: String) { powerAlerts(openOnly: false, creditCode: $c) { creditCode kind } }",
                        {"c": ignores}, token=boss)
    assert [a["kind"] for a in history["data"]["powerAlerts"]] == ["halt_violation"] * 3  # one enterprise's history
    halts = sorted(a["startsAt"] for a in listed if a["kind"] == "halt_violation")
    assert [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in halts] == [
        at(START + timedelta(days=d)) for d in (4, 5, 6)]
    # Inspectors see their jurisdiction's alerts, Baoji sees none, rule authors are refused.
    seen = (await gql(client, ALERTS, {"o": True}, token=world["xian_inspector"]))["data"]["powerAlerts"]
    assert sorted(a["alertId"] for a in seen) == sorted(a["alertId"] for a in listed)
    assert (await gql(client, ALERTS, {"o": True}, token=world["baoji_inspector"]))["data"]["powerAlerts"] == []
    refused = await gql(client, ALERTS, {"o": True}, token=world["author"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_verified_violation_becomes_a_case_and_redecides_the_positive_list(
        client: httpx.AsyncClient, database: Database, world: dict[str, str]) -> None:
    boss, inspector = world["prov_supervisor"], world["xian_inspector"]
    codes = demo_codes()
    await load_week(client, boss, codes)
    await issue_orange(database)
    await gql(client, SCAN, {"i": {"start": START.isoformat(), "days": 7, "jurisdiction": "610100"}}, token=boss)
    listed = (await gql(client, ALERTS, {"o": True}, token=boss))["data"]["powerAlerts"]
    alert = next(a for a in listed if a["creditCode"] == OFF["credit_code"])
    events, decisions = await dossier(client, boss, OFF["credit_code"])
    assert events == [] and decisions["positive_list"] == ({"eligible": True}, ["pl_eligible"])

    async def advance(token: str, version: int, action: str, **extra: Any) -> dict[str, Any]:
        result = await gql(client, ADVANCE, {"i": {"alertId": alert["alertId"], "version": version,
                                                   "action": action, "note": f"{action} note", **extra}}, token=token)
        return dict(result["data"]["advancePowerAlert"])

    assert (await advance(inspector, 1, "handle"))["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await advance(boss, 1, "verify", evidence=["x"], violation=True))["userErrors"][0]["code"] == "WRONG_STAGE"
    assert (await advance(boss, 1, "handle"))["alert"]["stage"] == "handled"
    assert (await advance(inspector, 2, "feedback"))["alert"]["stage"] == "fed_back"
    missing = await advance(inspector, 3, "verify", violation=True)
    assert [e["code"] for e in missing["userErrors"]] == ["EVIDENCE_REQUIRED"] and missing["alert"] is None
    assert (await dossier(client, boss, OFF["credit_code"]))[0] == []  # nothing counted before verification
    evidence = str(uuid.uuid4())
    verified = await advance(inspector, 3, "verify", evidence=[evidence], violation=True)
    assert verified["userErrors"] == [] and verified["alert"] == {
        "alertId": alert["alertId"], "stage": "verified", "version": 4, "verifier": "xian_inspector",
        "evidence": [evidence], "violation": True}
    events, decisions = await dossier(client, boss, OFF["credit_code"])
    assert events == ["CASE"]
    assert decisions["positive_list"] == ({"eligible": False}, ["pl_case"])
    assert (await advance(boss, 3, "review"))["userErrors"][0]["code"] == "STALE_VERSION"
    assert (await advance(world["xian_supervisor"], 4, "review"))["alert"]["stage"] == "reviewed"
    assert alert["alertId"] not in {a["alertId"] for a in
                                    (await gql(client, ALERTS, {"o": True}, token=boss))["data"]["powerAlerts"]}
    closed = [a for a in (await gql(client, ALERTS, {"o": False}, token=boss))["data"]["powerAlerts"]
              if a["alertId"] == alert["alertId"]]
    assert [(a["stage"], a["verifier"], a["violation"]) for a in closed] == [("reviewed", "xian_inspector", True)]
    assert [(h["action"], h["actor"], h["note"]) for h in closed[0]["history"]] == [
        ("push", "scan", None), ("handle", "prov_supervisor", "handle note"),
        ("feedback", "xian_inspector", "feedback note"), ("verify", "xian_inspector", "verify note"),
        ("review", "xian_supervisor", "review note")]
    assert (await dossier(client, boss, OFF["credit_code"]))[0] == ["CASE"]  # recorded once

    # A verification task for the plant that ignored the halt: one targeted task, no plan.
    halt = next(a for a in listed if a["kind"] == "halt_violation")
    made = await gql(client, "mutation($a: String!) { createPowerAlertTask(alertId: $a) { taskId userErrors "
                     "{ code } } }", {"a": halt["alertId"]}, token=boss)
    task_id = made["data"]["createPowerAlertTask"]["taskId"]
    node = await task_node(client, boss, task_id)
    assert node is not None and (node["kind"], node["planId"], node["drawId"], node["creditCode"], node["status"]) == (
        "anomaly_verification", None, f"power:{halt['alertId']}", IGNORES["credit_code"], "UNSTAFFED")


async def test_bulk_readings_need_a_supervisor_token(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    body = "meter,timestamp,kw\nM0000-P,2026-01-01T00:00:00Z,1\n"
    assert (await post_readings(client, body, None)).status_code == 401
    refused = await post_readings(client, body, world["xian_inspector"])
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    missing = await post_readings(client, "meter,kw\nM0000-P,1\n", world["prov_supervisor"])
    assert (missing.status_code, missing.json()["code"]) == (400, "MISSING_COLUMN")
    # JSON lines work too; an unknown meter is a coded row error, not a failure of the file.
    lines = '{"meter": "NOPE", "timestamp": "2026-01-01T00:00:00Z", "kw": 1}\n'
    answer = await post_readings(client, lines, world["prov_supervisor"], content_type="application/x-ndjson")
    assert answer.status_code == 200 and [e["code"] for e in answer.json()["errors"]] == ["UNKNOWN_METER"]


# -- complaints and hotspot cells ----------------------------------------------------------------------------------


def complaint_input(code: str | None = None, *, content: str = "夜间有刺鼻气味", jurisdiction: str = "610100",
                    complaint_id: str | None = None) -> dict[str, Any]:
    return {"complaintId": complaint_id or str(uuid.uuid4()), "channel": "12369",
            "receivedAt": iso(datetime.now(UTC).replace(microsecond=0)), "jurisdiction": jurisdiction,
            "content": content, "creditCode": code, "lat": 34.6, "lon": 109.6}


async def test_a_complaint_becomes_a_targeted_task_and_a_founded_one_counts(client: httpx.AsyncClient,
                                                                           world: dict[str, str]) -> None:
    boss = world["xian_supervisor"]
    data = complaint_input(HIT["credit_code"])
    first = (await gql(client, COMPLAINT, {"i": data}, token=boss))["data"]["recordComplaint"]
    assert first["userErrors"] == [] and first["replayed"] is False and first["taskId"], first
    assert first["record"]["status"] == "received" and first["record"]["creditCode"] == HIT["credit_code"]
    assert first["record"]["complaintId"] == data["complaintId"] and first["record"]["place"] == {"lat": 34.6,
                                                                                                  "lon": 109.6}
    assert (first["record"]["closedBy"], first["record"]["closedAt"]) == (None, None)
    task = await task_node(client, boss, first["taskId"])
    assert task is not None and (task["kind"], task["planId"], task["drawId"], task["creditCode"], task["status"],
                                 task["inspectors"]) == (
        "complaint", None, f"complaint:{data['complaintId']}", HIT["credit_code"], "UNSTAFFED", [])
    # A replay returns the same complaint and task; other content under the same id is refused.
    replay = (await gql(client, COMPLAINT, {"i": data}, token=boss))["data"]["recordComplaint"]
    assert (replay["replayed"], replay["taskId"], replay["userErrors"]) == (True, first["taskId"], [])
    other = (await gql(client, COMPLAINT, {"i": {**data, "content": "白天也有"}}, token=boss))["data"]
    assert [e["code"] for e in other["recordComplaint"]["userErrors"]] == ["ID_CONFLICT"]
    # Staffing: two certified Xi'an inspectors of the demo drawn at random.
    staffed = (await gql(client, STAFF, {"o": f"complaint:{data['complaintId']}"}, token=boss))["data"]
    assert staffed["staffTargetedTasks"]["staffed"] == 1 and len(staffed["staffTargetedTasks"]["seed"]) == 64
    task = await task_node(client, boss, first["taskId"])
    assert task is not None and task["status"] == "ASSIGNED" and len(set(task["inspectors"])) == 2
    assert all(i.startswith("SX-6101") or i.startswith("SX-6100") for i in task["inspectors"]), task

    events, decisions = await dossier(client, boss, HIT["credit_code"])
    assert events == [] and decisions["positive_list"][0] == {"eligible": True}
    closed = (await gql(client, CLOSE, {"i": {"complaintId": data["complaintId"], "founded": True,
                                              "note": "现场核实属实"}}, token=boss))["data"]["closeComplaint"]
    assert closed["userErrors"] == [] and closed["record"]["status"] == "founded"
    events, decisions = await dossier(client, boss, HIT["credit_code"])
    assert events == ["COMPLAINT_VERIFIED"] and decisions["positive_list"] == ({"eligible": False}, ["pl_complaint"])
    found = (await gql(client, DOSSIER, {"c": HIT["credit_code"]}, token=boss))["data"]["enterprise"]["events"]
    assert [(e["reference"], e["source"], e["recordedBy"]) for e in found] == [
        (f"complaint:{data['complaintId']}", "nonsite", "xian_supervisor (verified)")]  # by the system, for the closer
    again = (await gql(client, CLOSE, {"i": {"complaintId": data["complaintId"], "founded": False}},
                       token=boss))["data"]["closeComplaint"]
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_CLOSED"]
    listed = (await gql(client, COMPLAINTS, {"s": "founded"}, token=boss))["data"]["complaints"]
    assert [(c["complaintId"], c["status"], c["closedBy"]) for c in listed] == [(data["complaintId"], "founded",
                                                                                "xian_supervisor")]
    # An unfounded complaint adds no event.
    plain = complaint_input(MISS["credit_code"])
    await gql(client, COMPLAINT, {"i": plain}, token=boss)
    await gql(client, CLOSE, {"i": {"complaintId": plain["complaintId"], "founded": False}}, token=boss)
    assert (await dossier(client, boss, MISS["credit_code"]))[0] == []


async def test_a_complaint_replayed_after_closing_is_still_a_replay(client: httpx.AsyncClient,
                                                                   world: dict[str, str]) -> None:
    boss = world["xian_supervisor"]
    data = complaint_input(HIT["credit_code"])
    first = (await gql(client, COMPLAINT, {"i": data}, token=boss))["data"]["recordComplaint"]
    await gql(client, CLOSE, {"i": {"complaintId": data["complaintId"], "founded": False}}, token=boss)
    replay = (await gql(client, COMPLAINT, {"i": data}, token=boss))["data"]["recordComplaint"]
    assert (replay["replayed"], replay["taskId"], replay["userErrors"]) == (True, first["taskId"], []), (
        "BUG core/nonsite/complaints.py record_complaint (lines 104-106): the replay check compares 'status' too, "
        "so re-sending the identical complaint after closeComplaint is refused with ID_CONFLICT instead of being "
        f"answered as a replay; got {replay}")


async def test_a_complaint_task_belongs_to_the_enterprise_jurisdiction(client: httpx.AsyncClient,
                                                                       world: dict[str, str]) -> None:
    # Received by the Xi'an office, about a Baoji enterprise, recorded by the province.
    data = complaint_input(BAOJI["credit_code"], jurisdiction="610100")
    payload = (await gql(client, COMPLAINT, {"i": data}, token=world["prov_supervisor"]))["data"]["recordComplaint"]
    if payload["userErrors"]:
        return  # refusing the mismatch is as good
    task = await task_node(client, world["prov_supervisor"], payload["taskId"])
    leaked = await task_node(client, world["xian_supervisor"], payload["taskId"])
    assert task is not None and task["jurisdiction"] == "610300" and leaked is None, (
        "BUG core/nonsite/complaints.py record_complaint (line 93): the targeted task takes the complaint's "
        "jurisdiction (610100), not the enterprise's (610300), so Xi'an inspectors are drawn for a Baoji site and a "
        f"Xi'an supervisor sees its task; task={task}, seen by xian_supervisor={leaked is not None}")


async def test_a_hotspot_alert_makes_a_grid_level_task(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    boss = world["xian_supervisor"]
    data = {"cellId": "XA_10890_3420", "date": TODAY.isoformat(), "pm25": 186.0, "jurisdiction": "610100"}
    first = (await gql(client, HOTSPOT, {"i": data}, token=boss))["data"]["recordHotspotAlert"]
    assert first["userErrors"] == [] and first["replayed"] is False and first["record"] == {
        "hotspotId": f"XA_10890_3420:{TODAY.isoformat()}", "cellId": "XA_10890_3420", "date": TODAY.isoformat(),
        "pm25": 186.0}
    origin = f"hotspot:XA_10890_3420:{TODAY.isoformat()}"
    task = await task_node(client, boss, first["taskId"])
    assert task is not None and (task["kind"], task["planId"], task["drawId"], task["creditCode"],
                                 task["jurisdiction"]) == ("hotspot", None, origin, "", "610100")
    assert task["target"]["cell_id"] == "XA_10890_3420" and task["target"]["pm25"] == 186.0
    progress = (await gql(client, PROGRESS, {"o": origin}, token=boss))["data"]["fieldProgress"]
    assert progress == {"total": 1, "byStatus": {"unstaffed": 1}}, progress
    replay = (await gql(client, HOTSPOT, {"i": data}, token=boss))["data"]["recordHotspotAlert"]
    assert (replay["replayed"], replay["taskId"], replay["userErrors"]) == (True, first["taskId"], [])
    assert (await gql(client, PROGRESS, {"o": origin}, token=boss))["data"]["fieldProgress"]["total"] == 1
    # A Xi'an supervisor cannot record another city's cell.
    assert (await gql(client, HOTSPOT, {"i": {**data, "jurisdiction": "610300"}}, token=boss))["data"][
        "recordHotspotAlert"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_a_hotspot_replay_with_other_content_is_refused(client: httpx.AsyncClient,
                                                             world: dict[str, str]) -> None:
    boss = world["xian_supervisor"]
    data = {"cellId": "XA_10890_3420", "date": TODAY.isoformat(), "pm25": 186.0, "jurisdiction": "610100"}
    await gql(client, HOTSPOT, {"i": data}, token=boss)
    other = (await gql(client, HOTSPOT, {"i": {**data, "pm25": 95.0}}, token=boss))["data"]["recordHotspotAlert"]
    assert [e["code"] for e in other["userErrors"]] == ["ID_CONFLICT"], (
        "BUG core/nonsite/complaints.py record_hotspot (lines 147-149): a second alert for the same cell and day "
        "with a different PM2.5 (95 instead of 186) is answered as a replay of the stored one "
        f"(replayed={other['replayed']}) instead of ID_CONFLICT")


# -- drone flights -------------------------------------------------------------------------------------------------


def track_csv(lat: float = 34.6) -> str:
    """East along the latitude of HIT, from 1 km west of it to 1 km east, a point every ~92 m and 10 s."""
    begin = at(TODAY - timedelta(days=1), 120)
    lines = ["time,lat,lon,alt"]
    for n in range(21):
        lines.append(f"{iso(begin + timedelta(seconds=10 * n))},{lat:.6f},{109.59 + n * 0.001:.6f},120")
    return "\n".join(lines) + "\n"


def passed(payload: dict[str, Any]) -> list[tuple[str, float, str]]:
    """(site, metres inside, first moment inside to the millisecond the database keeps)."""
    record = payload.get("record", payload)
    return [(p["creditCode"], p["distanceInsideM"], p["firstInside"][:23]) for p in record["passes"]]


async def test_a_drone_flight_passes_one_site_and_draws_its_map(client: httpx.AsyncClient,
                                                                world: dict[str, str]) -> None:
    inspector = world["xian_inspector"]
    flight_id = str(uuid.uuid4())
    data = {"flightId": flight_id, "jurisdiction": "610100", "format": "csv", "track": track_csv()}
    first = (await gql(client, FLIGHT, {"i": data}, token=inspector))["data"]["recordDroneFlight"]
    assert first["userErrors"] == [] and first["replayed"] is False, first
    record = first["record"]
    assert record["points"] == 21 and record["problems"] == []
    assert [(p["creditCode"], p["byRadius"]) for p in record["passes"]] == [(HIT["credit_code"], True)]
    assert MISS["credit_code"] not in {p["creditCode"] for p in record["passes"]}
    assert 395 < record["passes"][0]["distanceInsideM"] < 405  # a 200 m radius crossed through its centre
    shown = (await gql(client, SHOW_FLIGHT, {"f": flight_id}, token=world["prov_supervisor"]))["data"]["droneFlight"]
    assert (shown["flightId"], shown["recordedBy"]) == (flight_id, "xian_inspector") and passed(shown) == passed(first)
    hidden = await gql(client, SHOW_FLIGHT, {"f": flight_id},
                       token=world["baoji_inspector"])
    assert hidden["data"]["droneFlight"] is None

    replay = (await gql(client, FLIGHT, {"i": data}, token=inspector))["data"]["recordDroneFlight"]
    assert replay["replayed"] is True and passed(replay) == passed(first)
    other = (await gql(client, FLIGHT, {"i": {**data, "track": track_csv(34.62)}}, token=inspector))["data"]
    assert [e["code"] for e in other["recordDroneFlight"]["userErrors"]] == ["ID_CONFLICT"]

    png = await client.get(f"/flights/{flight_id}/preview.png", headers={"authorization": f"Bearer {inspector}"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(PNG_SIGNATURE) and len(png.content) > 1000
    assert (await client.get(f"/flights/{flight_id}/preview.png")).status_code == 401
    other_city = await client.get(f"/flights/{flight_id}/preview.png",
                                  headers={"authorization": f"Bearer {world['baoji_inspector']}"})
    assert other_city.status_code == 404
    # The other track passes north of HIT, over MISS.
    north = {"flightId": str(uuid.uuid4()), "jurisdiction": "610100", "format": "csv", "track": track_csv(34.62)}
    passes = (await gql(client, FLIGHT, {"i": north}, token=inspector))["data"]["recordDroneFlight"]["record"]["passes"]
    assert [p["creditCode"] for p in passes] == [MISS["credit_code"]]


async def test_targeted_tasks_carry_the_checklist_of_their_kind(client: httpx.AsyncClient,
                                                                world: dict[str, str]) -> None:
    boss = world["xian_supervisor"]
    data = {"cellId": "XA_10891_3421", "date": TODAY.isoformat(), "pm25": 150.0, "jurisdiction": "610100"}
    task_id = (await gql(client, HOTSPOT, {"i": data}, token=boss))["data"]["recordHotspotAlert"]["taskId"]
    query = """query($id: ID!) { node(id: $id) { ... on Task { kind checklist { checklistId matter
      items { itemId } } } } }"""
    node = (await gql(client, query, {"id": to_global_id("Task", task_id)}, token=boss))["data"]["node"]
    assert node["kind"] == "hotspot" and node["checklist"]["matter"] == "TGT-HOTSPOT", node
    assert [i["itemId"] for i in node["checklist"]["items"]] == ["problems_found", "sources", "notes"]
    # Supervisors keep these checklists like any other (province-wide ones by a province supervisor, not
    # by the Xi'an one); the new version is what the task shows next.
    create = """mutation($i: CreateChecklistVersionInput!) { createChecklistVersion(input: $i) {
      checklist { checklistId } userErrors { code } } }"""
    items = [{"itemId": "problems_found", "text": "网格内发现的问题数", "type": "number", "unit": "个"},
             {"itemId": "dust_sources", "text": "扬尘源", "type": "text", "required": False}]
    made = (await gql(client, create, {"i": {"matter": "TGT-HOTSPOT", "title": "热点网格排查表（修订）",
                                              "items": items}}, token=world["prov_supervisor"])
            )["data"]["createChecklistVersion"]
    assert made == {"checklist": {"checklistId": "TGT-HOTSPOT:v2"}, "userErrors": []}, made
    node = (await gql(client, query, {"id": to_global_id("Task", task_id)}, token=boss))["data"]["node"]
    assert node["checklist"]["checklistId"] == "TGT-HOTSPOT:v2"
