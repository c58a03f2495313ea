"""``ecoinspect plan coverage`` and the minimum ratios from the command line."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", f"cli_{uuid.uuid4().hex[:10]}")


def test_below_minimum_plans_are_refused_and_coverage_is_printed(env: None) -> None:
    assert runner.invoke(app, ["demo", "--enterprises", "200"]).exit_code == 0
    refused = runner.invoke(app, ["plan", "create", "--name", "低比例", "--jurisdiction", "610100", "--start",
                                  "2027-01-01", "--end", "2027-03-31", "--matter", "STJ-WRY-01", "--ratio", "key=0.01"])
    assert refused.exit_code == 1 and "[BELOW_MINIMUM_RATIO]" in refused.output, refused.output
    year = datetime.now(UTC).year
    shown = runner.invoke(app, ["plan", "coverage", "--jurisdiction", "610100", "--cycle", str(year), "--first", "3"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == f"coverage of 610100, {year}-01-01 to {year}-12-31"
    rows = {m.group(1): (int(m.group(2)), int(m.group(3))) for line in lines[1:4]
            if (m := re.match(r"(special|key|general)\s+(\d+) of\s+(\d+) inspected", line))}
    assert set(rows) == {"special", "key", "general"} and all(done == 0 for done, _ in rows.values())
    total = sum(size for _, size in rows.values())
    assert total > 3 and lines[4] == f"not inspected in the cycle: {total}"
    assert len([line for line in lines if line.startswith("91")]) == 3 and lines[-1].startswith("next page: --after ")
    after = lines[-1].split("--after ", 1)[1]
    following = runner.invoke(app, ["plan", "coverage", "--jurisdiction", "610100", "--cycle", str(year),
                                    "--first", "3", "--after", after])
    assert following.exit_code == 0 and following.output.splitlines()[5] > lines[7]
