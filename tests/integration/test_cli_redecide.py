"""`ecoinspect import enterprises` re-decides the imported enterprises' policies, as the API import does."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from conftest import enterprise_row
from pymongo import MongoClient
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.cli.main import app
from core.policies.repository import DECISIONS

runner = CliRunner()


@pytest.fixture
def env(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    return {"name": name, "uri": db_server.uri}


def test_cli_import_records_policy_decisions(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(enterprise_row("91610100MR0000001")), encoding="utf-8")
    result = runner.invoke(app, ["import", "enterprises", str(path)])
    assert result.exit_code == 0, result.output
    with MongoClient(env["uri"]) as client:
        stored = list(client[env["name"]][DECISIONS].find({}, {"_id": 1}))
    assert [doc["_id"] for doc in stored] == [enterprise_row("91610100MR0000001")["credit_code"]]
