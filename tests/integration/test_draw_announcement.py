"""Protocol v2 on the real server: announce then draw, everything committed at freeze, both verifiers agree."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_draws import SUPERVISOR, VALUE, plan_input, seed, services_for

from core.config import Settings
from core.db import Database
from core.errors import Conflict, ValidationFailed
from core.inspections.models import PlanStatus
from scheduler.verification import verify

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
ANNOUNCED = Settings(draw_public_interval_minutes=1440, draw_notice_minutes=60, draw_result_delay_minutes=60)


async def test_freeze_commits_everything_in_one_stored_document(database: Database) -> None:
    await seed(database, 400)
    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")
    frozen = await services.draws.freeze(SUPERVISOR, plan.id, request_id="r", draw_number="26338")
    assert frozen.protocol == 2 and frozen.inspection_date == plan.period_start
    data = await services.plans.public_commitment(plan.id)
    assert data is not None and hashlib.sha256(data).hexdigest() == frozen.commitment
    document = json.loads(data)
    assert document["announcement"]["draw_number"] == "26338"
    assert document["announcement"]["source"] == "中国体育彩票排列5"
    assert document["announcement"]["pattern"] == "[0-9] [0-9] [0-9] [0-9] [0-9]"
    columns = document["population"]["columns"]
    assert columns == ["credit_code", "stratum", "division", "tier", "positive_list", "visited", "weight", "pi"]
    rows = document["population"]["rows"]
    assert len(rows) == frozen.population_size
    assert len(document["exclusions"]["rows"]) == sum((frozen.excluded or {}).values())
    assert {k: v["quota"] for k, v in document["strata"].items()} == frozen.quotas
    assert document["inspection"] == {"date": plan.period_start.isoformat(), "team_size": 2,
                                      "window": [plan.period_start.isoformat(), plan.period_end.isoformat()],
                                      "max_tasks_per_inspector": 60}
    assert document["inspectors"] and {"staff_id", "certificate_expires", "on_post", "conflicts",
                                       "jurisdictions"} <= set(document["inspectors"][0])
    assert {r[3] for r in rows} <= {"green", "blue", "yellow", "red", "unrated"}
    # One stored document for the population (compressed), not one per member; the v1 listing is not written.
    assert await database["plan_commitments"].count_documents({"plan_id": plan.id}) == 1
    assert await database["plan_populations"].count_documents({}) == 0


async def test_draw_waits_for_the_announced_value_in_its_one_spelling(database: Database) -> None:
    await seed(database, 300)
    services = services_for(database, ANNOUNCED)
    plan = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")
    frozen = await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    announcement = frozen.announcement or {}
    earliest = announcement["earliest_draw"]
    assert announcement["event_at"].endswith("21:25:00+08:00")
    assert frozen.frozen_at is not None
    assert datetime.fromisoformat(earliest) >= frozen.frozen_at + timedelta(minutes=120)  # notice, then the delay
    for value, code in (("", "PUBLIC_VALUE_REQUIRED"), ("31415", "PUBLIC_VALUE_FORMAT"),
                        ("3,1,4,1,5", "PUBLIC_VALUE_FORMAT"), (" 3 1 4 1 5", "PUBLIC_VALUE_FORMAT")):
        with pytest.raises(ValidationFailed) as refused:
            await services.draws.draw(SUPERVISOR, plan.id, public_value=value, request_id="r")
        assert refused.value.errors[0].code == code
    with pytest.raises(Conflict) as early:  # the right spelling, but before the result is public
        await services.draws.draw(SUPERVISOR, plan.id, public_value=VALUE, request_id="r")
    assert early.value.code == "DRAW_TOO_EARLY"
    assert (await services.plans.get(SUPERVISOR, plan.id)).status is PlanStatus.FROZEN
    assert await database["draws"].count_documents({}) == 0
    services.draws.clock = lambda: datetime.fromisoformat(earliest) + timedelta(seconds=1)
    drawn = await services.draws.draw(SUPERVISOR, plan.id, public_value=VALUE, request_id="r")
    assert drawn.draw.protocol == 2 and drawn.draw.public_value == VALUE


def _reference(document: dict[str, Any], tmp_path: Path) -> bool:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(TOOL), str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode == 0


async def test_both_verifiers_agree_on_a_real_document_and_refuse_tampered_copies(database: Database,
                                                                                  tmp_path: Path) -> None:
    await seed(database, 400)
    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")
    await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    draw = (await services.draws.draw(SUPERVISOR, plan.id, public_value=VALUE, request_id="r")).draw
    tasks = [t for t in await services.plans.tasks_of(SUPERVISOR, plan.id) if t.inspectors]
    general = next(t for t in tasks if t.stratum == "general")
    other = next(t for t in tasks if t.credit_code != general.credit_code)
    await services.redraws.file(SUPERVISOR, plan.id, credit_code=general.credit_code, kind="object",
                                reason="企业已关停", request_id="r")
    await services.redraws.complete(SUPERVISOR, plan.id, public_value="2 7 1 8 2", request_id="r")
    await services.redraws.file(SUPERVISOR, plan.id, credit_code=other.credit_code, kind="inspector",
                                reason="回避", staff_id=other.inspectors[0], request_id="r")
    await services.redraws.complete(SUPERVISOR, plan.id, public_value="1 6 1 8 0", request_id="r")
    await services.draws.publish(SUPERVISOR, plan.id, request_id="r")
    document = await services.draws.published_document(draw.id)
    assert document is not None
    assert all(c.ok for c in verify(document)) and _reference(document, tmp_path)
    shuffled = copy.deepcopy(document)
    shuffled["teams"] = dict(reversed(list(shuffled["teams"].items())))
    shuffled["redraws"].reverse()
    assert all(c.ok for c in verify(shuffled)) and _reference(shuffled, tmp_path)
    rows = document["commitment"]["population"]["rows"]
    edits = {
        "pi": lambda d: d["commitment"]["population"]["rows"][0].__setitem__(7, "1/1"),
        "exclusion": lambda d: d["commitment"]["exclusions"]["rows"].append([rows[0][0], "visit_cap"]),
        "pool": lambda d: d["commitment"]["inspectors"].pop(),
        "committed input": lambda d: d["commitment"]["inspection"].__setitem__("date", "2099-01-01"),
        "replacement": lambda d: d["redraws"][0].__setitem__("team", list(reversed(d["redraws"][0]["team"]))),
    }
    for name, edit in edits.items():
        tampered = copy.deepcopy(document)
        edit(tampered)
        assert not all(c.ok for c in verify(tampered)), name
        assert not _reference(tampered, tmp_path), name
