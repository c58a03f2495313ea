"""Leads from power alerts on the real server: recorded once, converted to the alert's task or dismissed, and the
positive-list rule (DOMAIN rule 10: a positive-list enterprise is visited on site only on a recorded lead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import enterprise_row

from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.inspections.repository import InspectionRepository
from core.nonsite.leads import LeadService
from core.nonsite.meters import MeterService
from core.nonsite.power_alerts import PowerAlertService, origin
from core.nonsite.power_scan import PowerScanService
from core.policies.service import PolicyService
from core.registry.importing import EnterpriseImporter
from core.registry.sources import SourceRow
from rules.policy_engine import RulesEngine

TODAY = datetime.now(UTC).date()
SUPERVISOR = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
XIAN_INSPECTOR = Viewer(username="insp", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610100",),
                        inspector_id="SX-610100-0001")
BAOJI_SUPERVISOR = Viewer(username="bj", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610300",))
AUTHOR = Viewer(username="alice", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
PLAIN_ROW = enterprise_row("91610100LL0000001", industry_code="3971")
LISTED_ROW = enterprise_row("91610100LL0000002", industry_code="3971",  # on the positive list for most of a year
                            positive_list_from=(TODAY - timedelta(days=30)).isoformat(),
                            positive_list_to=(TODAY + timedelta(days=300)).isoformat())
PLAIN, LISTED = PLAIN_ROW["credit_code"], LISTED_ROW["credit_code"]


def _at(day: object, minute: int) -> str:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)  # type: ignore[attr-defined]
    return moment.isoformat()


async def _alert(database: Database, code: str, prefix: str, days_ago: int) -> str:
    """A treatment-not-running alert for ``code``: two hours of production with treatment off."""
    meters = MeterService(database)
    inserted, _, errors = await meters.register(SUPERVISOR, [
        {"meter_id": f"{prefix}-P", "credit_code": code, "role": "production", "rated_kw": 500.0},
        {"meter_id": f"{prefix}-T", "credit_code": code, "role": "treatment", "rated_kw": 50.0}])
    assert (inserted, errors) == (2, [])
    day = TODAY - timedelta(days=days_ago)
    items = []
    for slot in range(8, 16):
        items += [{"meter": f"{prefix}-P", "timestamp": _at(day, slot * 15), "kw": "400"},
                  {"meter": f"{prefix}-T", "timestamp": _at(day, slot * 15), "kw": "0.5"}]
    report = await meters.ingest(SUPERVISOR, [SourceRow(n, item) for n, item in enumerate(items, 1)])
    assert (report.accepted, report.errors) == (16, [])
    scanner = PowerScanService(database, policies=PolicyService(database, engine=RulesEngine()))
    assert (await scanner.scan(scopes=["610100"], start=day, days=1))["created"] == 1
    doc = await database["power_alerts"].find_one({"credit_code": code})
    assert doc is not None
    return str(doc["_id"])


@pytest.fixture
async def alerts(database: Database) -> dict[str, str]:
    rows = [PLAIN_ROW, LISTED_ROW]
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, dict(r)) for i, r in enumerate(rows, 1)), rescan=None)
    assert report.inserted == 2, report
    await PolicyService(database, engine=RulesEngine()).install_default_packs()
    return {"plain": await _alert(database, PLAIN, "PL", 3), "listed": await _alert(database, LISTED, "LS", 5)}


async def test_a_lead_is_recorded_once_per_alert_and_linked_to_it(database: Database,
                                                                  alerts: dict[str, str]) -> None:
    service = LeadService(database)
    lead, created = await service.record_for_alert(SUPERVISOR, alerts["plain"], summary="  除尘设施停运两小时 ")
    again, created_again = await service.record_for_alert(SUPERVISOR, alerts["plain"], summary="other words")
    assert (created, created_again, again.id) == (True, False, lead.id)
    assert (lead.status.value, lead.summary, lead.positive_list, lead.credit_code) == ("open", "除尘设施停运两小时",
                                                                                       False, PLAIN)
    alert = await PowerAlertService(database).get(SUPERVISOR, alerts["plain"])
    assert alert.lead_id == lead.id
    default, _ = await service.record_for_alert(SUPERVISOR, alerts["listed"])
    assert default.summary.startswith("treatment_not_running, 120 min") and default.positive_list is True


async def test_converting_makes_the_alerts_task_once(database: Database, alerts: dict[str, str]) -> None:
    service = LeadService(database)
    lead, _ = await service.record_for_alert(SUPERVISOR, alerts["plain"])
    converted = await service.convert(SUPERVISOR, lead.id, version=lead.version)
    assert converted.status.value == "converted" and converted.task_id and converted.closed_by == "chief"
    tasks = await InspectionRepository(database).targeted_of(origin(alerts["plain"]))
    assert [t.id for t in tasks] == [converted.task_id] and tasks[0].kind == "anomaly_verification"
    assert await PowerAlertService(database).create_task(SUPERVISOR, alerts["plain"]) == converted.task_id
    with pytest.raises(Conflict) as info:
        await service.convert(SUPERVISOR, lead.id, version=converted.version)
    assert info.value.code == "WRONG_STATUS"


async def test_a_lead_recorded_after_the_task_is_that_tasks_lead(database: Database,
                                                                  alerts: dict[str, str]) -> None:
    task_id = await PowerAlertService(database).create_task(SUPERVISOR, alerts["plain"])
    service = LeadService(database)
    lead, created = await service.record_for_alert(SUPERVISOR, alerts["plain"])
    assert (created, lead.status.value, lead.task_id) == (True, "converted", task_id)
    with pytest.raises(Conflict) as info:  # the visit is decided: the lead cannot be dismissed any more
        await service.dismiss(SUPERVISOR, lead.id, version=lead.version, reason="误报")
    assert info.value.code == "WRONG_STATUS"
    assert len(await InspectionRepository(database).targeted_of(origin(alerts["plain"]))) == 1


async def test_convert_checks_the_callers_version(database: Database, alerts: dict[str, str]) -> None:
    service = LeadService(database)
    lead, _ = await service.record_for_alert(SUPERVISOR, alerts["plain"])
    with pytest.raises(Conflict) as info:
        await service.convert(SUPERVISOR, lead.id, version=lead.version + 1)
    assert info.value.code == "STALE_VERSION"
    assert await InspectionRepository(database).targeted_of(origin(alerts["plain"])) == []


async def test_concurrent_calls_record_one_lead_and_one_task(database: Database, alerts: dict[str, str]) -> None:
    import asyncio

    service = LeadService(database)
    leads = await asyncio.gather(*(service.record_for_alert(SUPERVISOR, alerts["listed"]) for _ in range(4)))
    assert len({lead.id for lead, _ in leads}) == 1 and sum(created for _, created in leads) == 1
    tasks = await asyncio.gather(*(PowerAlertService(database).create_task(SUPERVISOR, alerts["plain"])
                                   for _ in range(3)))
    assert len(set(tasks)) == 1
    assert len(await InspectionRepository(database).targeted_of(origin(alerts["plain"]))) == 1


async def test_a_positive_list_task_always_has_its_lead(database: Database, alerts: dict[str, str]) -> None:
    task_id = await PowerAlertService(database).create_task(SUPERVISOR, alerts["listed"])
    leads = await LeadService(database).list_leads(SUPERVISOR, credit_code=LISTED)
    assert [(lead.status.value, lead.task_id, lead.positive_list) for lead in leads] == [
        ("converted", task_id, True)]
    assert (await PowerAlertService(database).get(SUPERVISOR, alerts["listed"])).lead_id == leads[0].id
    # The plain enterprise needs no lead for its task.
    await PowerAlertService(database).create_task(SUPERVISOR, alerts["plain"])
    assert await LeadService(database).list_leads(SUPERVISOR, credit_code=PLAIN) == []


async def test_dismissing_needs_a_reason_and_stops_positive_list_visits(database: Database,
                                                                       alerts: dict[str, str]) -> None:
    service = LeadService(database)
    listed, _ = await service.record_for_alert(SUPERVISOR, alerts["listed"])
    with pytest.raises(ValidationFailed) as refused:
        await service.dismiss(SUPERVISOR, listed.id, version=listed.version, reason="  ")
    assert [e.code for e in refused.value.errors] == ["REASON_REQUIRED"]
    with pytest.raises(Conflict) as stale:
        await service.dismiss(SUPERVISOR, listed.id, version=listed.version + 1, reason="检修")
    assert stale.value.code == "STALE_VERSION"
    dismissed = await service.dismiss(SUPERVISOR, listed.id, version=listed.version, reason="计划检修，已报备")
    assert (dismissed.status.value, dismissed.reason, dismissed.task_id) == ("dismissed", "计划检修，已报备", None)
    with pytest.raises(Conflict) as no_visit:
        await PowerAlertService(database).create_task(SUPERVISOR, alerts["listed"])
    assert no_visit.value.code == "LEAD_DISMISSED"
    assert await InspectionRepository(database).targeted_of(origin(alerts["listed"])) == []
    # Elsewhere a dismissed lead does not bind the supervisor.
    plain, _ = await service.record_for_alert(SUPERVISOR, alerts["plain"])
    await service.dismiss(SUPERVISOR, plain.id, version=plain.version, reason="误报")
    assert await PowerAlertService(database).create_task(SUPERVISOR, alerts["plain"])


async def test_leads_are_scoped_listed_and_refused_to_others(database: Database, alerts: dict[str, str]) -> None:
    service = LeadService(database)
    lead, _ = await service.record_for_alert(SUPERVISOR, alerts["plain"])
    with pytest.raises(PermissionDenied):
        await service.record_for_alert(XIAN_INSPECTOR, alerts["listed"])
    with pytest.raises(NotFound):
        await service.record_for_alert(BAOJI_SUPERVISOR, alerts["listed"])
    with pytest.raises(PermissionDenied):
        await service.convert(XIAN_INSPECTOR, lead.id, version=lead.version)
    with pytest.raises(NotFound):
        await service.dismiss(BAOJI_SUPERVISOR, lead.id, version=lead.version, reason="x")
    with pytest.raises(PermissionDenied):
        await service.list_leads(AUTHOR)
    assert [x.id for x in await service.list_leads(XIAN_INSPECTOR, status="open")] == [lead.id]
    assert await service.list_leads(XIAN_INSPECTOR, status="dismissed") == []
    assert await service.list_leads(BAOJI_SUPERVISOR) == []
    with pytest.raises(ValidationFailed):
        await service.list_leads(SUPERVISOR, status="closed")
    assert (await service.get(SUPERVISOR, lead.id)).version == 1
