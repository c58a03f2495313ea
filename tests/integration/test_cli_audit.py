"""The command line and the audit trail: commands that write are recorded (name, arguments without secrets,
outcome), reading ones are not; ``ecoinspect audit verify`` sees an edited and a deleted entry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


@pytest.fixture
def audit(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    with MongoClient(db_server.uri, tz_aware=True) as client:
        yield client[name]["audit"]
        client.drop_database(name)


def test_writing_commands_are_recorded_with_arguments_and_outcome(audit: Any) -> None:
    created = runner.invoke(app, ["user", "create", "chief", "--role", "supervisor", "--jurisdiction", "610100",
                                  "--password", "long-enough-pw"])
    assert created.exit_code == 0, created.output
    missing = runner.invoke(app, ["user", "disable", "nobody"])
    assert missing.exit_code == 1 and "NOT_FOUND" in missing.output
    assert runner.invoke(app, ["cases", "list"]).exit_code == 0  # reads only: not recorded
    entries = list(audit.find({"source": "cli"}).sort("seq", 1))
    assert [(e["action"], e["outcome"], e["code"]) for e in entries] == [
        ("cli:user create", "ok", None), ("cli:user disable", "refused:NOT_FOUND", "NOT_FOUND")]
    create, disable = entries
    assert create["detail"]["password"] == "(hidden)" and "long-enough-pw" not in str(create)
    assert create["detail"]["role"] == "supervisor" and create["targets"] == ["chief"]
    assert disable["targets"] == ["nobody"] and disable["actor"] == "cli" and disable["roles"] == ["admin"]
    assert all(e.get("hash") and e.get("n") for e in entries)  # written and chained before the command ended


def test_audit_verify_detects_an_edited_and_a_deleted_entry(audit: Any) -> None:
    for name in ("one", "two", "three", "four"):
        assert runner.invoke(app, ["user", "create", name, "--role", "inspector", "--jurisdiction", "610100",
                                   "--password", "long-enough-pw"]).exit_code == 0
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "the audit trail verifies" in intact.output
    day = audit.find_one({"action": "cli:user create", "targets": "two"})["day"]
    audit.update_one({"action": "cli:user create", "targets": "two"}, {"$set": {"outcome": "refused:FORBIDDEN"}})
    deleted = audit.find_one({"action": "cli:user create", "targets": "three"})
    audit.delete_one({"_id": deleted["_id"]})
    broken = runner.invoke(app, ["audit", "verify", "--day", day])
    assert broken.exit_code == 1
    lines = broken.output.splitlines()
    assert any(line.split()[:1] == ["edited"] for line in lines), broken.output
    assert any(line.split()[:2] == ["deleted", f"n={deleted['n']}"] for line in lines), broken.output
    assert runner.invoke(app, ["audit", "verify", "--day", "not-a-day"]).exit_code == 1


def test_the_scheduler_chains_and_applies_retention(audit: Any) -> None:
    ran = runner.invoke(app, ["scheduler", "run", "--once"])
    assert ran.exit_code == 0, ran.output
    assert "audit-chain: ran" in ran.output and "audit-retention: ran" in ran.output
    assert [e["action"] for e in audit.find({"source": "cli"})] == ["cli:scheduler run"]
