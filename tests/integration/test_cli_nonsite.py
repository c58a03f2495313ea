"""The non-site commands (alerts, leads, complaints, hotspot, flight) against the session's wire-protocol server."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


@pytest.fixture
def demo(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", f"cli_{uuid.uuid4().hex[:10]}")
    assert runner.invoke(app, ["demo", "--enterprises", "300"]).exit_code == 0


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_alerts_become_leads_and_tasks(demo: None) -> None:
    start = (datetime.now(UTC).date() - timedelta(days=7)).isoformat()
    _ok(["meters", "demo", "--start", start])
    scanned = json.loads(_ok(["meters", "scan", "--start", start, "--days", "7", "--json"]))
    assert scanned["created"] > 0, scanned
    assert len(scanned["found"]) == scanned["anomalies"]
    # Without --json: a table, one row per anomaly, then the totals (a rescan stores nothing new)
    table = _ok(["meters", "scan", "--start", start, "--days", "7"])
    for anomaly in scanned["found"]:
        assert any(anomaly["credit_code"] in line and anomaly["kind"] in line for line in table.splitlines()), table
    assert table.splitlines()[-1].startswith(f"{scanned['enterprises']} enterprises scanned, "
                                             f"{scanned['anomalies']} anomalies, 0 new power alerts"), table
    listed = _ok(["alerts", "list"]).splitlines()
    assert len(listed) == scanned["created"] and all(" pushed " in line for line in listed), listed
    alert_id = listed[0].split()[0]
    lead = json.loads(_ok(["alerts", "lead", alert_id, "--summary", "夜间除尘停运"]))
    assert (lead["status"], lead["created"]) == ("open", True)
    assert json.loads(_ok(["alerts", "lead", alert_id]))["created"] is False  # once per alert
    assert f"{lead['lead']} " in _ok(["leads", "list", "--status", "open"])
    converted = json.loads(_ok(["leads", "convert", lead["lead"], "--version", "1"]))
    assert converted["status"] == "converted" and converted["task"]
    assert json.loads(_ok(["alerts", "task", alert_id]))["task"] == converted["task"]
    line = next(x for x in _ok(["alerts", "list"]).splitlines() if x.startswith(alert_id))
    assert f"task={converted['task']}" in line and f"lead={lead['lead']}" in line
    stale = runner.invoke(app, ["leads", "dismiss", lead["lead"], "--version", "1", "--reason", "x"])
    assert stale.exit_code == 1 and "WRONG_STATUS" in stale.output


def test_complaints_hotspots_and_flights(demo: None, tmp_path: Path) -> None:
    made = json.loads(_ok(["complaints", "record", "--content", "夜间异味", "--jurisdiction", "610100"]))
    assert made["created"] is True and made["task"]  # no enterprise named: an area task at its place
    assert made["complaint"] in _ok(["complaints", "list", "--status", "received"])
    refused = runner.invoke(app, ["complaints", "record", "--content", "x", "--jurisdiction", "999999"])
    assert refused.exit_code == 1 and "UNKNOWN_JURISDICTION" in refused.output
    hotspot = json.loads(_ok(["hotspot", "record", "610100-G0042", "--pm25", "180", "--jurisdiction", "610100"]))
    assert hotspot["created"] is True and hotspot["task"]
    again = json.loads(_ok(["hotspot", "record", "610100-G0042", "--pm25", "180", "--jurisdiction", "610100"]))
    assert (again["created"], again["task"]) == (False, hotspot["task"])
    begin = datetime.now(UTC) - timedelta(hours=2)
    track = tmp_path / "track.csv"
    track.write_text("time,lat,lon,alt\n" + "".join(
        f"{(begin + timedelta(seconds=10 * n)).isoformat()},34.26,{108.90 + n * 0.001:.6f},80\n" for n in range(5)),
        encoding="utf-8")
    flight_id = str(uuid.uuid4())
    first = json.loads(_ok(["flight", "record", str(track), "--jurisdiction", "610100", "--id", flight_id]))
    assert first["flight"] == flight_id and first["created"] is True and first["problems"] == []
    assert json.loads(_ok(["flight", "record", str(track), "--jurisdiction", "610100", "--id", flight_id]))[
        "created"] is False
    broken = tmp_path / "broken.csv"
    broken.write_text("time,lat,lon,alt\nnot-a-time,91,200,0\n", encoding="utf-8")
    bad = runner.invoke(app, ["flight", "record", str(broken), "--jurisdiction", "610100"])
    assert bad.exit_code == 1 and "ecoinspect: [" in bad.output
