"""Progress of the long commands: each phase with its count out of its total (the enterprise import shows the rows,
then the policy decisions), on stderr, so that stdout stays what scripts read."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from conftest import enterprise_row
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", f"cli_{uuid.uuid4().hex[:10]}")


def _phases(stderr: str) -> dict[str, tuple[int, int]]:
    """The final line of each phase: name -> (done, total)."""
    found = {}
    for line in stderr.splitlines():
        match = re.match(r"^([^━]+?)\s*━+\s*(\d+)/(\d+)\b", line)
        if match:
            found[match.group(1).strip()] = (int(match.group(2)), int(match.group(3)))
    return found


def test_import_shows_rows_then_policy_decisions(env: None, tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    rows = [enterprise_row(f"91610100PG{n:07d}") for n in range(1, 8)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = runner.invoke(app, ["import", "enterprises", str(path)])
    assert result.exit_code == 0, result.output
    assert "7 rows, 7 inserted" in result.stdout
    phases = _phases(result.stderr)
    assert phases["enterprises"] == (7, 7), result.stderr
    assert phases["policy decisions"] == (7, 7), result.stderr
    assert "/" not in result.stdout.splitlines()[0]  # the bars stay off stdout


def test_demo_and_meter_demo_show_their_phases(env: None) -> None:
    loaded = runner.invoke(app, ["demo", "--enterprises", "200"])
    assert loaded.exit_code == 0, loaded.output
    phases = _phases(loaded.stderr)
    assert phases["enterprises"] == (200, 200), loaded.stderr
    assert phases["inspectors"][0] == phases["inspectors"][1] > 0, loaded.stderr
    assert phases["matters, logins, cases"] == (4, 4), loaded.stderr
    assert set(phases) == {"enterprises", "inspectors", "matters, logins, cases"}, loaded.stderr
    metered = runner.invoke(app, ["meters", "demo", "--enterprises", "5"])
    assert metered.exit_code == 0, metered.output
    assert set(_phases(metered.stderr)) == {"meter readings"}, metered.stderr
    readings = _phases(metered.stderr)["meter readings"]
    assert readings[0] == readings[1] > 0, metered.stderr
    assert f"{readings[1]} readings, {readings[1]} accepted" in metered.stdout
