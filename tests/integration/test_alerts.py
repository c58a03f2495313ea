"""Heavy-pollution alerts: measures per enterprise from the active policy, changes, lifting, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_draws import SUPERVISOR, XIAN_SUPERVISOR, seed

from core.alerts.service import AlertService
from core.db import Database
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.policies.service import PolicyService
from rules.alert_measures import policy_measures
from rules.policy_engine import RulesEngine

NOW = datetime.now(UTC)


@pytest.fixture
async def alerts(database: Database) -> AlertService:
    await seed(database, 400)
    policies = PolicyService(database, engine=RulesEngine())
    await policies.install_default_packs()
    return AlertService(database, compute_measures=policy_measures(database, policies))


def orange(**extra: object) -> dict[str, object]:
    return {"level": "orange", "jurisdictions": ["610100"], "starts_at": NOW, "ends_at": NOW + timedelta(days=3),
            "source": "西安市重污染天气应急指挥部", **extra}


async def test_orange_alert_for_xian_computes_measures(database: Database, alerts: AlertService) -> None:
    alert = await alerts.issue(XIAN_SUPERVISOR, orange())
    xian = await database["enterprises"].count_documents({"jurisdiction_path": "610100"})
    assert alert.affected == xian > 0 and alert.policy_version == "heavy_pollution_measures:610000:v1"
    rows = await alerts.measures(XIAN_SUPERVISOR, alert.id, first=100, after=None)
    assert rows and all(r["jurisdiction"] == "610100" for r in rows)
    by_grade = {}
    for row in rows:
        doc = await database["enterprises"].find_one({"credit_code": row["credit_code"]})
        by_grade.setdefault((doc["performance"]["grade"], bool(doc.get("guarantee"))), set()).add(row["measure"])
    for (grade, guarantee), measures in by_grade.items():
        if grade in ("A+", "A"):
            assert measures == {"self_determined"}
        if grade in ("C", "D") and not guarantee:
            assert measures <= {"halt", "self_determined"}  # self_determined only for a valid guarantee status


async def test_upgrade_extend_and_lift(alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    upgraded = await alerts.update(SUPERVISOR, alert.id, version=1, changes={"level": "red",
                                                                               "ends_at": NOW + timedelta(days=5)})
    assert upgraded.level == "red" and upgraded.version == 2 and len(upgraded.history) == 2
    with pytest.raises(Conflict) as stale:
        await alerts.update(SUPERVISOR, alert.id, version=1, changes={"level": "yellow"})
    assert stale.value.code == "STALE_VERSION"
    lifted = await alerts.lift(SUPERVISOR, alert.id, version=2, reason="空气质量好转")
    assert lifted.status == "lifted" and lifted.history[-1]["action"] == "lift"
    with pytest.raises(Conflict):
        await alerts.lift(SUPERVISOR, alert.id, version=3, reason="again")


@pytest.mark.parametrize(("data", "code"), [
    (orange(ends_at=NOW - timedelta(hours=1)), "INVALID_VALUE"),
    (orange(level="purple"), "INVALID_VALUE"),
    (orange(jurisdictions=["999999"]), "UNKNOWN_JURISDICTION"),
])
async def test_bad_alerts_write_nothing(database: Database, alerts: AlertService, data: dict[str, object],
                                        code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await alerts.issue(SUPERVISOR, data)
    assert caught.value.errors[0].code == code
    assert await database["alerts"].count_documents({}) == 0
    assert await database["alert_measures"].count_documents({}) == 0


async def test_outside_scope_is_refused(alerts: AlertService) -> None:
    with pytest.raises(PermissionDenied):
        await alerts.issue(XIAN_SUPERVISOR, orange(jurisdictions=["610300"]))


@pytest.mark.parametrize(("data", "field"), [
    # Ended before it was issued: it stayed "active" and created tasks for days that were over.
    (orange(starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=1)), "endsAt"),
    (orange(starts_at=NOW - timedelta(hours=30)), "startsAt"),  # beyond the 24-hour backdating limit
])
async def test_retroactive_alerts_are_refused(database: Database, alerts: AlertService, data: dict[str, object],
                                              field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await alerts.issue(SUPERVISOR, data)
    assert (refused.value.code, refused.value.field) == ("ALERT_IN_PAST", field)
    assert await database["alerts"].count_documents({}) == 0
    assert await database["tasks"].count_documents({}) == 0


async def test_an_alert_that_started_hours_ago_is_accepted_and_cannot_be_moved_into_the_past(
        alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange(starts_at=NOW - timedelta(hours=6)))
    with pytest.raises(ValidationFailed) as refused:
        await alerts.update(SUPERVISOR, alert.id, version=1, changes={"ends_at": NOW - timedelta(minutes=1)})
    assert refused.value.code == "ALERT_IN_PAST"


async def test_lifting_needs_a_reason_and_history_is_structured(alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            await alerts.lift(SUPERVISOR, alert.id, version=1, reason=reason)
        assert refused.value.code == "REASON_REQUIRED"
    ends = NOW + timedelta(days=5)
    updated = await alerts.update(SUPERVISOR, alert.id, version=1, changes={"level": "red", "ends_at": ends})
    assert updated.history[-1]["changes"] == [
        {"field": "level", "from": "orange", "to": "red"},
        {"field": "ends_at", "from": stored_ms(NOW + timedelta(days=3)).isoformat(), "to": ends.isoformat()}]


def stored_ms(value: datetime) -> datetime:
    """The database keeps milliseconds."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
