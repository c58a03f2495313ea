"""What the command line records of a command: its name, arguments without secrets, target ids, outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

from api.cli.audit_trail import READ_ONLY, outcome, summary, targets
from api.cli.main import app
from core.accounts.models import Role
from core.errors import NotFound


def _names(command: Any, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, sub in getattr(command, "commands", {}).items():
        path = f"{prefix} {name}".strip()
        found |= _names(sub, path) if getattr(sub, "commands", None) else {path}
    return found


def test_every_read_only_command_exists() -> None:
    commands = _names(get_command(app))
    assert READ_ONLY <= commands, READ_ONLY - commands
    assert {"user create", "plan freeze", "scheduler run", "audit verify"} <= commands


def test_secrets_are_never_recorded() -> None:
    recorded = summary({"username": "chief", "password": "hunter2-long", "role": [Role.SUPERVISOR],
                        "file": Path("/tmp/x.csv"), "inspector_id": None, "secret_key": "k"})
    assert recorded == {"username": "chief", "password": "(hidden)", "role": "supervisor", "file": "/tmp/x.csv",
                        "secret_key": "(hidden)"}
    assert summary({"content": "x" * 500})["content"].endswith("…")


def test_target_ids_are_the_id_arguments() -> None:
    assert targets({"plan_id": "p1", "public_value": "v", "credit_code": "916101", "username": None}) == [
        ("plan_id", "p1"), ("credit_code", "916101")]


def _refuse() -> None:
    try:
        raise NotFound("plan p1 not found")
    except NotFound:
        raise typer.Exit(1) from None  # as ``runtime.fail`` is raised


def test_outcomes() -> None:
    assert outcome(None) == ("ok", None)
    assert outcome(typer.Exit(0)) == ("ok", None)
    with pytest.raises(typer.Exit) as caught:
        _refuse()
    assert outcome(caught.value) == ("refused:NOT_FOUND", "NOT_FOUND")
    assert outcome(typer.Exit(3)) == ("failed", None)
    assert outcome(RuntimeError("boom")) == ("failed:INTERNAL_ERROR", "INTERNAL_ERROR")
