"""The command line as a process: an invalid setting is one line (variable, value, what is allowed) and exit 78;
nothing reads the settings at import, so --help and --version work whatever the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = "from api.cli.main import app; app(prog_name='ecoinspect')"


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECOINSPECT_") and k not in ("PORT", "MONGODB_URI")}
    clean["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=tmp_path, capture_output=True, text=True,
                          env={**clean, "ECOINSPECT_DATA_DIR": str(tmp_path / "var"), **env}, timeout=120)


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("ECOINSPECT_ACCESS_TOKEN_MINUTES", "abc", "an integer >= 1"),
        ("ECOINSPECT_ACCESS_TOKEN_MINUTES", "0", "an integer >= 1"),
        ("PORT", "99999", "an integer >= 0 and <= 65535"),
        ("ECOINSPECT_EMBEDDED_DB_PORT", "x", "an integer >= 0 and <= 65535"),
        ("ECOINSPECT_MODE", "prod", "one of dev, production"),
        ("ECOINSPECT_LOG_JSON", "maybe", "true or false"),
        ("ECOINSPECT_LOG_LEVEL", "LOUD", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("ECOINSPECT_ACCOUNT_CACHE_SECONDS", "61", "a number >= 0 and <= 60"),
    ],
)
def test_an_invalid_value_is_one_line_naming_it(tmp_path: Path, variable: str, value: str, allowed: str) -> None:
    result = _run(["db", "status"], tmp_path, **{variable: value})
    assert result.returncode == 78, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{variable}='{value}'" in lines[0] and f"expected {allowed}" in lines[0], lines[0]
    assert not (tmp_path / "var").exists()  # refused before any database was started


def test_a_secret_is_named_but_never_echoed(tmp_path: Path) -> None:
    result = _run(["db", "status"], tmp_path, MONGODB_URI="mongodb://user:hunter2@db/x", ECOINSPECT_SECRET_KEY="k",
                  ECOINSPECT_MODE="production")
    assert result.returncode == 78
    assert "ECOINSPECT_SECRET_KEY" in result.stderr and "hunter2" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_checks_across_variables_name_them(tmp_path: Path) -> None:
    result = _run(["user", "unlock", "someone"], tmp_path, ECOINSPECT_LOGIN_SLOWDOWN_AFTER="5",
                  ECOINSPECT_LOGIN_LOCK_AFTER="4")
    assert result.returncode == 78
    assert result.stderr.strip() == ("ecoinspect: configuration: ECOINSPECT_LOGIN_LOCK_AFTER must exceed "
                                     "ECOINSPECT_LOGIN_SLOWDOWN_AFTER")


@pytest.mark.parametrize("env", [{"ECOINSPECT_MODE": "production"}, {"ECOINSPECT_ACCESS_TOKEN_MINUTES": "abc"}])
def test_help_and_version_need_no_valid_settings(tmp_path: Path, env: dict[str, str]) -> None:
    helped = _run(["--help"], tmp_path, **env)
    assert helped.returncode == 0, helped.stderr
    assert "Exit codes" in helped.stdout and "serve" in helped.stdout
    assert _run(["meters", "scan", "--help"], tmp_path, **env).returncode == 0
    shown = _run(["--version"], tmp_path, **env)
    assert shown.returncode == 0 and shown.stdout.startswith("ecoinspect "), shown
    assert shown.stdout.split()[1][0].isdigit()


def test_no_module_reads_settings_at_import(tmp_path: Path) -> None:
    # Every package of the application imported with a value the settings refuse: none may fail.
    code = ("import pkgutil, importlib, api, core, scheduler, rules\n"
            "for package in (api, core, scheduler, rules):\n"
            "    for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
            "        if module.name != 'core.secantus_child':\n"
            "            importlib.import_module(module.name)\n"
            "print('imported')\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECOINSPECT_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**clean, "PYTHONPATH": str(ROOT), "ECOINSPECT_MODE": "production",
                                 "ECOINSPECT_SYNC_OP_RETENTION_DAYS": "not-a-number"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run(["no-such-command"], tmp_path).returncode == 2
    assert _run(["import", "planets", str(tmp_path)], tmp_path).returncode == 2
