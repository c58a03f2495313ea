"""`ecoinspect positive-list admit|remove|list|history` against the session's wire-protocol server."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from conftest import enterprise_row
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.app import prepare
from api.assembly import build_services
from api.cli.main import app
from core.config import Settings
from core.db import Database
from core.registry.importing import import_enterprises
from core.registry.rows import ENTERPRISE_COLUMNS

runner = CliRunner()
ELIGIBLE = enterprise_row("91610100PC0000001", credit_tier="green", online_monitoring="true", permit_number="P-1",
                          industry_code="3971", permit_valid_from="2020-01-01", permit_valid_to="2099-01-01")
CODE = ELIGIBLE["credit_code"]


async def _seed(uri: str, name: str, tmp_path: Path) -> None:
    database = Database(uri, name)
    try:
        await prepare(database)
        path = tmp_path / "rows.csv"
        path.write_text(",".join(ENTERPRISE_COLUMNS) + "\n" + ",".join(ELIGIBLE.get(c, "") for c in ENTERPRISE_COLUMNS)
                        + "\n", encoding="utf-8")
        assert (await import_enterprises(database, path, actor="seed")).inserted == 1
        services = build_services(database, Settings())
        await services.policies.install_default_packs()
        await services.policies.redecide_all(trigger="seed")
    finally:
        await database.client.close()


@pytest.fixture
def seeded(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    asyncio.run(_seed(db_server.uri, name, tmp_path))


def _run(args: list[str], code: int = 0) -> list[str]:
    result = runner.invoke(app, args)
    assert result.exit_code == code, (args, result.output)
    return result.output.splitlines()


def test_admit_list_remove_and_history(seeded: None) -> None:
    admitted = _run(["positive-list", "admit", CODE, "--batch-name", "2026年第一批", "--batch-number", "环函〔2026〕1号",
                     "--valid-from", "2026-01-01"])
    assert admitted[0].startswith(f"2026-01-01 admitted decision {CODE} ")
    assert _run(["positive-list", "list"]) == [f"{CODE} {ELIGIBLE['name']} 610100 2026-01-01..2028-12-31 环函〔2026〕1号"]
    again = runner.invoke(app, ["positive-list", "admit", CODE, "--batch-name", "x", "--batch-number", "y",
                                "--valid-from", "2026-01-01"])
    assert again.exit_code == 1 and "ALREADY_ON_LIST" in again.output
    removed = _run(["positive-list", "remove", CODE, "--reason", "媒体曝光"])
    assert " removed decision " in removed[0] and removed[0].endswith("by cli: 媒体曝光")
    assert _run(["positive-list", "list"]) == []
    assert [line.split()[1] for line in _run(["positive-list", "history", CODE])] == ["removed", "admitted"]
