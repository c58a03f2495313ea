"""Proportionate alert verification on the real server: non-site first, members exempt, a πps sample on site."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from conftest import enterprise_row
from test_alert_tasks import alert_service, import_rows, orange, tasks_of
from test_draws import SUPERVISOR

from core.alerts import verification
from core.alerts.service import AlertService
from core.db import Database
from core.nonsite.models import AlertKind, PowerAlert
from core.nonsite.repository import MeterRepository
from core.policies.service import PolicyService
from rules.policy_engine import RulesEngine
from scheduler import alert_sample

NOW = datetime.now(UTC)
TODAY = NOW.date()
POOL = [enterprise_row(f"91610100PW{n:07d}", industry_code="3971", performance_grade="C") for n in range(10)]
MONITORED = enterprise_row("91610100PW1000001", industry_code="3971", performance_grade="C", online_monitoring="true")
MEMBER = enterprise_row("91610100PW1000002", industry_code="3971", performance_grade="C",
                        positive_list_from=(TODAY - timedelta(days=30)).isoformat(),
                        positive_list_to=(TODAY + timedelta(days=300)).isoformat())
FLAGGED = enterprise_row("91610100PW1000003", industry_code="3971", performance_grade="C")
GRADE_A = enterprise_row("91610100PW1000004", industry_code="3971", performance_grade="A")
POOL_CODES = {row["credit_code"] for row in POOL}


async def power_alert(database: Database, code: str) -> None:
    alert = PowerAlert(id=str(uuid.uuid4()), credit_code=code, enterprise_name="x", jurisdiction="610100",
                       kind=AlertKind.HALT_VIOLATION, severity="high", starts_at=NOW - timedelta(hours=1),
                       ends_at=NOW + timedelta(hours=5), minutes=60, detail={}, policy_version="p", created_at=NOW)
    assert await MeterRepository(database).insert_alerts([(alert, ["610100", "610000"])]) == 1


@pytest.fixture
async def alerts(database: Database) -> AlertService:
    await import_rows(database, [*POOL, MONITORED, MEMBER, FLAGGED, GRADE_A])
    await power_alert(database, FLAGGED["credit_code"])
    policies = PolicyService(database, engine=RulesEngine())  # the shipped packs, 10–30% by grade
    await policies.install_default_packs()
    return alert_service(database, policies)


async def measures_of(alerts: AlertService, alert_id: str) -> dict[str, dict[str, Any]]:
    return {m["credit_code"]: m for m in await alerts.measures(SUPERVISOR, alert_id, first=100, after=None)}


async def test_only_the_flagged_and_a_weighted_sample_are_checked_on_site(database: Database,
                                                                          alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    measures = await measures_of(alerts, alert.id)
    routes = {code: m.get("verification", {}).get("route") for code, m in measures.items()}
    assert routes[MONITORED["credit_code"]] == "nonsite"
    # The default measures policy gives members self-determined measures (hp_positive_list): nothing to verify.
    # (Under a policy that gives them a halt or cut, they are routed "exempt": tests/unit/test_alert_verification.py.)
    assert routes[MEMBER["credit_code"]] == "not_checked" and measures[MEMBER["credit_code"]]["rules"] == [
        "hp_positive_list"]
    assert routes[FLAGGED["credit_code"]] == "flagged"
    assert routes[GRADE_A["credit_code"]] == "not_checked"  # self-determined: nothing to verify
    sampled = {code for code in POOL_CODES if routes[code] == "sampled"}
    # C grade: ratio 0.2 each, ten in the pool → ceil(2.0) = 2 drawn, each with π = 2/10.
    assert len(sampled) == 2 and {routes[c] for c in POOL_CODES - sampled} == {"not_sampled"}
    assert {measures[code]["verification"]["pi"] for code in POOL_CODES} == {"1/5"}
    tasks = await tasks_of(database, alert.id)
    assert set(tasks) == sampled | {FLAGGED["credit_code"]}
    assert {t.target["route"] for t in tasks.values()} == {"sampled", "flagged"}


async def test_the_preview_gives_the_numbers_the_issue_then_produces(database: Database, alerts: AlertService) -> None:
    preview = await alerts.preview(SUPERVISOR, orange())
    assert await database["tasks"].count_documents({}) == 0 and await database["alerts"].count_documents({}) == 0
    [xian] = preview
    assert xian == {"jurisdiction": "610100", "quota": 2, "not_checked": 2, "flagged": 1, "exempt": 0,
                    "nonsite": 1, "sampled": 2, "not_sampled": 8, "on_site": 3}
    alert = await alerts.issue(SUPERVISOR, orange())
    assert alert.verification == preview
    assert len(await tasks_of(database, alert.id)) == xian["on_site"]


async def test_anyone_can_recompute_the_sample_from_the_published_measures_and_seed(alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    measures = await measures_of(alerts, alert.id)
    candidates = [verification.Candidate(
        credit_code=code, jurisdiction=m["jurisdiction"], measure=m["measure"],
        ratio=Fraction(m["verification"]["ratio"]), weight_units=verification.weight_units(m["verification"]["weight"]),
        monitored=m["verification"]["monitored"], member=m["verification"]["member"],
        flagged=m["verification"]["route"] == "flagged") for code, m in measures.items() if "verification" in m]
    seed = verification.seed_of(alert.id, candidates)
    assert seed.hex() == alert.verification_seed
    again = verification.route(candidates, seed=seed, select=alert_sample.select)
    assert {c: r.value for c, r in again.routes.items()} == {
        code: m["verification"]["route"] for code, m in measures.items() if "verification" in m}
    tampered = [c if c.credit_code != POOL[0]["credit_code"] else
                verification.Candidate(**{**c.__dict__, "weight_units": c.weight_units * 50}) for c in candidates]
    assert verification.seed_of(alert.id, tampered) != seed  # the seed commits to every routing input


async def test_a_positive_list_member_with_its_own_alert_is_checked(database: Database, alerts: AlertService) -> None:
    await power_alert(database, MEMBER["credit_code"])
    alert = await alerts.issue(SUPERVISOR, orange())
    assert (await measures_of(alerts, alert.id))[MEMBER["credit_code"]]["verification"]["route"] == "flagged"
    assert MEMBER["credit_code"] in await tasks_of(database, alert.id)


async def test_an_anomaly_during_the_alert_brings_an_unchecked_enterprise_on_site(database: Database,
                                                                                  alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    measures = await measures_of(alerts, alert.id)
    not_sampled = next(code for code in sorted(POOL_CODES) if measures[code]["verification"]["route"] == "not_sampled")
    codes = [MONITORED["credit_code"], MEMBER["credit_code"], not_sampled, GRADE_A["credit_code"]]
    # Visited whatever the measure: the A grade's self-determined one too (its own data raised an alert).
    assert await alerts.escalate(codes) == 4
    measures = await measures_of(alerts, alert.id)
    assert {code: measures[code]["verification"]["route"] for code in codes} == dict.fromkeys(codes, "flagged")
    assert set(codes) <= set(await tasks_of(database, alert.id))
    assert await alerts.escalate(codes) == 0  # a rescan adds nothing twice
    lifted = await alerts.lift(SUPERVISOR, alert.id, version=alert.version, reason="空气质量好转")
    assert lifted.status == "lifted" and await alerts.escalate(codes) == 0  # no alert in force
