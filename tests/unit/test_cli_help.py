"""Every command of ``ecoinspect``, and every argument and option of each, has help text; --help works for all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_walk_sees_every_group() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"serve", "import", "meters scan", "cases show", "user create", "audit verify", "plan draw"} <= names
    assert len(COMMANDS) > 40


def test_every_command_has_help() -> None:
    missing = [" ".join(path) or "ecoinspect" for path, command in COMMANDS if not (command.help or "").strip()]
    assert missing == []


def test_every_argument_and_option_has_help() -> None:
    missing = [f"{' '.join(path)} {param.name}" for path, command in COMMANDS for param in command.params
               if param.name != "help" and not (getattr(param, "help", None) or "").strip()]
    assert missing == []


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda path: " ".join(path) or "ecoinspect")
def test_help_prints_for(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_the_readme_lists_every_exit_code() -> None:
    from pathlib import Path

    from api.cli.exit_codes import ExitCode

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("Exit codes, the same for every command:", 1)[1].split("\n\n", 2)[1]
    listed = {int(line.split("|")[1]) for line in section.splitlines()[2:]}
    assert listed == {int(code) for code in ExitCode}
