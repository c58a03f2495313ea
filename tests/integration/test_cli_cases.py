"""`ecoinspect cases list|show|overdue` against the session's wire-protocol server, as the CLI operator."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from cases_support import Flow, ago, registry
from pymongo import MongoClient
from secantus import SecantusDBServer
from typer.testing import CliRunner

from api.app import prepare
from api.assembly import build_services
from api.cli.main import app
from core.cases.repository import CASES, STEPS
from core.config import Settings
from core.db import Database

runner = CliRunner()


async def _seed(uri: str, name: str, tmp_path: Path) -> dict[str, str]:
    """A case decided 90 days ago (neither served nor published) and one opened yesterday."""
    database = Database(uri, name)
    try:
        await prepare(database)
        code = await registry(database, tmp_path)
        cases = build_services(database, Settings()).cases  # the CLI's case rules (working-day calendar)
        late, fresh = Flow(cases, code), Flow(cases, code)
        await late.decided()
        await fresh.open(discovered_on=ago(1))
        return {"late": late.case_id, "fresh": fresh.case_id, "uri": uri, "name": name}
    finally:
        await database.client.close()


@pytest.fixture
def seeded(db_server: SecantusDBServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    name = f"cli_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MONGODB_URI", db_server.uri)
    monkeypatch.setenv("ECOINSPECT_DATABASE_NAME", name)
    return asyncio.run(_seed(db_server.uri, name, tmp_path))


def _ok(args: list[str]) -> list[str]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
    return result.output.splitlines()


def test_list_cases_with_filters(seeded: dict[str, str]) -> None:
    listed = _ok(["cases", "list"])
    assert [line.split()[0] for line in listed] == [seeded["late"], seeded["fresh"]]  # filing order
    assert " decided 610100 " in listed[0] and listed[0].endswith(" OVERDUE")
    assert " filing 610100 " in listed[1] and " next=filing:" in listed[1] and "OVERDUE" not in listed[1]
    assert [line.split()[0] for line in _ok(["cases", "list", "--overdue"])] == [seeded["late"]]
    assert [line.split()[0] for line in _ok(["cases", "list", "--status", "filing"])] == [seeded["fresh"]]
    assert _ok(["cases", "list", "--jurisdiction", "610300"]) == []
    assert [line.split()[0] for line in _ok(["cases", "list", "--limit", "1"])] == [seeded["late"]]
    refused = runner.invoke(app, ["cases", "list", "--status", "lost"])
    assert refused.exit_code == 1 and "--status lost" in refused.output


def test_show_prints_the_timeline_and_checks_it(seeded: dict[str, str]) -> None:
    with MongoClient(seeded["uri"]) as client:
        steps = list(client[seeded["name"]][STEPS].find({"case_id": seeded["late"]}).sort("seq", 1))
    out = _ok(["cases", "show", seeded["late"]])
    assert out[0].startswith(f"case {seeded['late']} 陕环罚〔")
    assert out[1].startswith("status decided; party 测试企业")
    assert any(line.startswith("decision main ") and " fine 150000.00 yuan " in line for line in out)
    assert any(line.startswith("  service main due ") and line.endswith(" OVERDUE") for line in out)
    timeline = [line.split() for line in out[out.index("timeline:") + 1:-1]]
    assert [(t[0], t[1], t[2], t[4]) for t in timeline] == [
        (str(s["seq"]), s["kind"], s["actor"], s["hash"]) for s in steps]
    assert [t[1] for t in timeline] == ["open", "approve_filing", "review", "prior_notice", "decide"]
    assert out[-1] == "check: OK (5 steps: hash chain intact, their fold is the stored case)"
    missing = runner.invoke(app, ["cases", "show", "no-such-case"])
    assert missing.exit_code == 1 and "[NOT_FOUND]" in missing.output


def test_show_names_the_first_mismatch(seeded: dict[str, str]) -> None:
    with MongoClient(seeded["uri"]) as client:
        db = client[seeded["name"]]
        review = {"case_id": seeded["late"], "seq": 3}
        original = db[STEPS].find_one(review)
        assert original is not None
        db[STEPS].update_one(review, {"$set": {"request.facts": "COD 未超标"}})
        tampered = runner.invoke(app, ["cases", "show", seeded["late"]])
        assert tampered.exit_code == 1
        assert tampered.output.splitlines()[-1] == "check: MISMATCH step 3 (review): hash does not match its content"
        db[STEPS].replace_one(review, original)
        db[CASES].update_one({"_id": seeded["late"]}, {"$set": {"status": "closed"}})
        edited = runner.invoke(app, ["cases", "show", seeded["late"]])
    assert edited.exit_code == 1
    assert edited.output.splitlines()[-1] == ("check: MISMATCH the fold of the steps differs from the stored case "
                                              "in status: 'decided' from the steps, 'closed' stored")


def test_overdue_flags_the_day_once(seeded: dict[str, str]) -> None:
    first = _ok(["cases", "overdue"])
    assert first[0].endswith(": 1 overdue cases, 1 newly flagged, 0 flagged before")
    assert first[1:] == ["  publication 1", "  service 1"]
    again = _ok(["cases", "overdue"])
    assert again[0].endswith(": 1 overdue cases, 0 newly flagged, 1 flagged before") and again[1:] == first[1:]
    # None of the current deadlines had passed 100 days ago.
    assert _ok(["cases", "overdue", "--day", ago(100)]) == [f"{ago(100)}: 0 overdue cases, 0 newly flagged, "
                                                            "0 flagged before"]
    with MongoClient(seeded["uri"]) as client:
        assert client[seeded["name"]]["case_flags"].count_documents({}) == 1
    bad = runner.invoke(app, ["cases", "overdue", "--day", "yesterday"])
    assert bad.exit_code == 1 and "--day yesterday is not a date" in bad.output
