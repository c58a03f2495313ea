"""The ecoinspect command line against the session's wire-protocol server."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from conftest import enterprise_row
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app
from api.error_docs import BEGIN, END, error_table

runner = CliRunner()


@pytest.fixture
def env(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    return {"name": name}


def test_import_reports_rows_and_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    rows = [enterprise_row("91610100ME0000001"), enterprise_row("91610100ME0000002", lat="100")]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    errors = tmp_path / "errors.json"
    result = runner.invoke(app, ["import", "enterprises", str(path), "--errors", str(errors)])
    assert result.exit_code == 3, result.output
    assert "2 rows, 1 inserted" in result.output and "[OUT_OF_RANGE]" in result.output
    assert json.loads(errors.read_text())[0]["row"] == 2
    again = runner.invoke(app, ["import", "enterprises", str(path)])
    assert "0 inserted, 0 updated, 1 unchanged" in again.output


def test_import_unreadable_file_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("name\nx\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "enterprises", str(path)])
    assert result.exit_code == 1
    assert "[MISSING_COLUMN]" in result.output and "Traceback" not in result.output


def test_import_inspectors_reports_rows_and_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_text(
        "staff_id,name,certificate_number,certificate_expires,on_post,jurisdictions,conflicts\n"
        "SX-1,张三,C-1,2030-01-01,true,610100,\n"
        "SX-2,李四,C-2,2030-01-01,true,610100;610300,\n"
        "SX-3,王五,C-3,not-a-date,true,610100,\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "inspectors", str(path)])
    assert result.exit_code == 3, result.output
    assert "inspectors: 3 rows, 2 inserted, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "row 3: [INVALID_DATE]" in result.output
    again = runner.invoke(app, ["import", "inspectors", str(path)])
    assert "0 inserted, 0 updated, 2 unchanged" in again.output
    status = runner.invoke(app, ["db", "status"])
    assert any(line.split() == ["inspectors", "2"] for line in status.output.splitlines()), status.output
    unreadable = tmp_path / "bad.csv"
    unreadable.write_text("staff_id\nSX-9\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", "inspectors", str(unreadable)])
    assert refused.exit_code == 1 and "[MISSING_COLUMN]" in refused.output and "Traceback" not in refused.output


def test_user_create_then_db_status(env: dict[str, str]) -> None:
    created = runner.invoke(app, ["user", "create", "chief", "--role", "supervisor", "--jurisdiction", "610100",
                                  "--password", "long-enough-pw"])
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(app, ["user", "create", "chief", "--role", "supervisor", "--jurisdiction",
                                    "610100", "--password", "long-enough-pw"])
    assert duplicate.exit_code == 1 and "USER_EXISTS" in duplicate.output
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0
    # The embedded server calls its one-node set "secantus"; under TEST_MONGODB_URI it is that set's name.
    assert "replica set: " in status.output and "replica set: (none)" not in status.output
    assert any(line.split() == ["users", "1"] for line in status.output.splitlines())


def test_demo_command_loads_once(env: dict[str, str]) -> None:
    first = runner.invoke(app, ["demo", "--enterprises", "300"])
    assert first.exit_code == 0, first.output
    assert "300 enterprises" in first.output and "6 logins" in first.output
    second = runner.invoke(app, ["demo", "--enterprises", "300"])
    assert "already holds data" in second.output
    status = runner.invoke(app, ["db", "status"])
    # One checklist per demo matter (9) and one per targeted task kind (4), loaded once.
    assert any(line.split() == ["checklists", "13"] for line in status.output.splitlines()), status.output


def test_schema_command_writes_sdl(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    result = runner.invoke(app, ["schema", "--output", str(out)])
    assert result.exit_code == 0
    assert "type Query" in out.read_text() and "updateEnterprise(input: UpdateEnterpriseInput!)" in out.read_text()


def test_error_codes_command_rewrites_only_the_table(tmp_path: Path) -> None:
    page = tmp_path / "api.md"
    page.write_text(f"# API\n\n{BEGIN}\n| stale |\n{END}\n\nafter\n", encoding="utf-8")
    result = runner.invoke(app, ["error-codes", "--doc", str(page)])
    assert result.exit_code == 0, result.output
    assert page.read_text(encoding="utf-8") == f"# API\n\n{BEGIN}\n{error_table()}\n{END}\n\nafter\n"
    assert "| `SYNC_BUSY` |" in error_table() and "| stale |" not in page.read_text(encoding="utf-8")
    page.write_text("no markers\n", encoding="utf-8")
    refused = runner.invoke(app, ["error-codes", "--doc", str(page)])
    assert refused.exit_code == 1 and page.read_text(encoding="utf-8") == "no markers\n"


def test_production_with_default_secret_refuses_to_start(env: dict[str, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOINSPECT_MODE", "production")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 78  # a configuration error (README, "Exit codes")
    assert "ECOINSPECT_SECRET_KEY" in result.output


def test_plan_cycle_and_verify_draw(env: dict[str, str], tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--enterprises", "400"]).exit_code == 0
    created = runner.invoke(app, ["plan", "create", "--name", "西安2027Q1", "--jurisdiction", "610100",
                                  "--start", "2027-01-01", "--end", "2027-03-31", "--matter", "STJ-WRY-01",
                                  "--ratio", "general=0.2"])
    assert created.exit_code == 0, created.output
    plan_id = created.output.strip().splitlines()[-1]
    frozen = runner.invoke(app, ["plan", "freeze", plan_id])
    assert "commitment:" in frozen.output
    refused = runner.invoke(app, ["plan", "draw", plan_id, "--public-value", "lottery 12345"])
    assert refused.exit_code == 1 and "[PUBLIC_VALUE_FORMAT]" in refused.output, refused.output
    drawn = runner.invoke(app, ["plan", "draw", plan_id, "--public-value", "1 2 3 4 5"])
    assert drawn.exit_code == 0 and "staffed" in drawn.output, drawn.output
    again = runner.invoke(app, ["plan", "draw", plan_id, "--public-value", "1 2 3 4 5"])
    assert again.exit_code == 1 and "[ALREADY_DRAWN]" in again.output
    document = tmp_path / "draw.json"
    assert runner.invoke(app, ["plan", "export", plan_id, "--output", str(document)]).exit_code == 0
    verified = runner.invoke(app, ["verify-draw", str(document)])
    assert verified.exit_code == 0, verified.output
    assert "OK   objects" in verified.output and "OK   inspectors" in verified.output
    tampered = json.loads(document.read_text())
    tampered["public_value"] = "1 2 3 4 6"  # the announced format, another value
    document.write_text(json.dumps(tampered))
    refused = runner.invoke(app, ["verify-draw", str(document)])
    assert refused.exit_code == 1 and "FAIL seed" in refused.output


def test_scheduler_template_and_run_once(env: dict[str, str]) -> None:
    assert runner.invoke(app, ["demo", "--enterprises", "20"]).exit_code == 0  # the matter list
    added = runner.invoke(app, ["scheduler", "add-template", "--name", "西安季度抽查", "--jurisdiction", "610100",
                                "--matter", "STJ-WRY-01", "--cadence", "quarterly"])
    assert added.exit_code == 0, added.output
    bad = runner.invoke(app, ["scheduler", "add-template", "--name", "x", "--jurisdiction", "610100",
                              "--matter", "M", "--cadence", "weekly"])
    assert bad.exit_code == 1 and "cadence" in bad.output
    first = runner.invoke(app, ["scheduler", "run", "--once"])
    assert first.exit_code == 0, first.output
    assert "plan-from-template: ran {'created': [" in first.output
    assert "case-deadlines: ran {'day': " in first.output  # the daily flagging of overdue cases is wired in
    second = runner.invoke(app, ["scheduler", "run", "--once"])
    assert "plan-from-template: ran {'created': []}" in second.output
    assert "case-deadlines: ran {'skipped': 'overdue cases already flagged on " in second.output
