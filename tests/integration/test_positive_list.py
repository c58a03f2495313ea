"""Positive-list membership as records: admission, automatic and decided removal, the projection every reader uses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import enterprise_row

from api.assembly import build_services
from api.context import Services
from core.accounts.models import Role, Viewer
from core.alerts.models import AlertData
from core.config import Settings
from core.db import Database
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.inspections.classes import plan_classifier
from core.inspections.models import PlanSettings
from core.nonsite.power_alerts import on_positive_list as lead_sees_member
from core.policies.facts import facts_batches
from core.positive_list.models import Batch, ChangeAction, ChangeCause
from core.positive_list.service import Admission, default_end
from core.registry.importing import import_enterprises
from core.registry.repository import with_code
from core.registry.rows import ENTERPRISE_COLUMNS
from rules.alert_measures import policy_measures

TODAY = datetime.now(UTC).date()
SUPERVISOR = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
XIAN_SUPERVISOR = Viewer(username="xian", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))
BAOJI_SUPERVISOR = Viewer(username="baoji", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610300",))
INSPECTOR = Viewer(username="insp", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610000",))
# Green, monitored, permitted, not an excluded sector: eligible for the positive list.
CLEAN = {"credit_tier": "green", "online_monitoring": "true", "permit_number": "P-1", "industry_code": "3971",
         "permit_valid_from": "2020-01-01", "permit_valid_to": "2099-01-01", "performance_grade": "C"}
A = enterprise_row("91610100PL0000001", **CLEAN)
B = enterprise_row("91610100PL0000002", **CLEAN)
C = enterprise_row("91610300PL0000003", jurisdiction="610300", **CLEAN)
DIRTY = enterprise_row("91610100PL0000004", **{**CLEAN, "online_monitoring": "false"})  # not eligible
BATCH = Batch(name="西安市2026年第一批", number="市环函〔2026〕12号")


@pytest.fixture
async def services(database: Database, settings: Settings, tmp_path: Any) -> Services:
    path = tmp_path / "rows.csv"
    path.write_text(",".join(ENTERPRISE_COLUMNS) + "\n" + "".join(
        ",".join(row.get(c, "") for c in ENTERPRISE_COLUMNS) + "\n" for row in (A, B, C, DIRTY)), encoding="utf-8")
    assert (await import_enterprises(database, path, actor="seed")).inserted == 4
    built = build_services(database, settings)
    await built.policies.install_default_packs()
    await built.policies.redecide_all(trigger="seed")
    return built


async def _doc(database: Database, code: str) -> dict[str, Any]:
    found = await database["enterprises"].find_one({"credit_code": code})
    assert found is not None
    return dict(found)


def _admission(*codes: str, start: date = TODAY, end: date | None = None) -> Admission:
    return Admission(credit_codes=codes, batch=BATCH, valid_from=start, valid_to=end)


async def _facts(database: Database, code: str) -> dict[str, Any]:
    async for part in facts_batches(database, with_code(code), TODAY):
        return part[0][1]
    raise AssertionError(code)


async def test_admission_writes_the_record_and_the_projection_together(services: Services,
                                                                       database: Database) -> None:
    before = await _doc(database, A["credit_code"])
    made = await services.positive_list.admit(XIAN_SUPERVISOR, _admission(A["credit_code"], B["credit_code"]),
                                              request_id="r-1")
    assert [(c.credit_code, c.action, c.cause, c.batch) for c in made] == [
        (A["credit_code"], ChangeAction.ADMITTED, ChangeCause.DECISION, BATCH),
        (B["credit_code"], ChangeAction.ADMITTED, ChangeCause.DECISION, BATCH)]
    assert made[0].valid_to == default_end(TODAY) and made[0].actor == "xian"
    assert "positive_list:610000:" in made[0].basis and "pl_eligible" in made[0].basis
    doc = await _doc(database, A["credit_code"])
    assert doc["positive_list"] == {"valid_from": TODAY.isoformat(), "valid_to": default_end(TODAY).isoformat()}
    assert doc["version"] == before["version"] + 1 and doc["content_hash"] != before["content_hash"]
    history = await database["enterprise_history"].find({"credit_code": A["credit_code"]}).to_list()
    assert [h["source"] for h in history] == [f"positive_list:{made[0].id}"]
    audit = await database["audit"].find({"action": "admitToPositiveList"}).to_list()
    assert sorted((a["target"], a["actor"], a["outcome"]) for a in audit) == [
        (f"enterprise:{A['credit_code']}", "xian", "ok"), (f"enterprise:{B['credit_code']}", "xian", "ok")]
    assert (await _facts(database, A["credit_code"]))["on_positive_list"] is True
    page = await services.positive_list.members(XIAN_SUPERVISOR, first=10, after=None)
    assert [(m.credit_code, m.admission.batch if m.admission else None) for m in page.items] == [
        (A["credit_code"], BATCH), (B["credit_code"], BATCH)]
    assert (await services.positive_list.members(BAOJI_SUPERVISOR, first=10, after=None)).items == []


async def test_a_batch_is_admitted_whole_or_not_at_all(services: Services, database: Database) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"], DIRTY["credit_code"]),
                                           request_id="r-2")
    assert [(e.field, e.code) for e in refused.value.errors] == [("creditCodes.1", "NOT_ELIGIBLE")]
    assert (await _doc(database, A["credit_code"])).get("positive_list") is None  # nothing written
    assert await database["positive_list_changes"].count_documents({}) == 0

    with pytest.raises(ValidationFailed) as outside:  # Baoji is outside the Xi'an supervisor's scope
        await services.positive_list.admit(XIAN_SUPERVISOR, _admission(C["credit_code"]), request_id="r-3")
    assert [(e.field, e.code) for e in outside.value.errors] == [("creditCodes.0", "NOT_FOUND")]
    with pytest.raises(PermissionDenied):
        await services.positive_list.admit(INSPECTOR, _admission(A["credit_code"]), request_id="r-4")
    with pytest.raises(ValidationFailed) as period:
        await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"], end=TODAY - timedelta(days=1)),
                                           request_id="r-5")
    assert [e.code for e in period.value.errors] == ["INVALID_PERIOD"]
    with pytest.raises(ValidationFailed) as blank:
        await services.positive_list.admit(SUPERVISOR, Admission(credit_codes=[A["credit_code"]],
                                                                 batch=Batch(name=" ", number="1"),
                                                                 valid_from=TODAY), request_id="r-6")
    assert [(e.field, e.code) for e in blank.value.errors] == [("batch.name", "REQUIRED")]

    await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"]), request_id="r-7")
    with pytest.raises(ValidationFailed) as again:
        await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"]), request_id="r-8")
    assert [e.code for e in again.value.errors] == ["ALREADY_ON_LIST"]


async def test_a_penalty_removes_the_member_at_once_and_once(services: Services, database: Database) -> None:
    await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"], start=TODAY - timedelta(days=40)),
                                       request_id="r-1")
    assert await lead_sees_member(database, A["credit_code"], TODAY) is True
    event = {"id": str(uuid.uuid4()), "credit_code": A["credit_code"], "kind": "penalty",
             "occurred_on": TODAY, "reference": "市环罚〔2026〕7号"}
    await services.events.record_and_redecide(SUPERVISOR, event, request_id="r-2")
    assert await lead_sees_member(database, A["credit_code"], TODAY) is False  # non-site first no longer applies

    doc = await _doc(database, A["credit_code"])
    assert doc["positive_list"]["valid_to"] == (TODAY - timedelta(days=1)).isoformat()  # ended yesterday
    assert (await _facts(database, A["credit_code"]))["on_positive_list"] is False
    history = await services.positive_list.history(SUPERVISOR, A["credit_code"])
    assert [(c.action, c.cause, c.actor, c.effective_on) for c in history] == [
        (ChangeAction.REMOVED, ChangeCause.AUTOMATIC, "system", TODAY),
        (ChangeAction.ADMITTED, ChangeCause.DECISION, "chief", TODAY - timedelta(days=40))]
    assert "pl_penalised" in history[0].basis and f"event:penalty:{event['id']}" in history[0].basis
    assert history[0].reason  # the rule's rationale
    # Replayed triggers remove nothing twice; a non-member is never "removed".
    assert await services.positive_list.reconcile(with_code(A["credit_code"]), "again") == 0
    assert await services.positive_list.reconcile(with_code(DIRTY["credit_code"]), "again") == 0
    assert len(await services.positive_list.history(SUPERVISOR, A["credit_code"])) == 2


async def test_a_credit_downgrade_removes_the_member(services: Services, database: Database) -> None:
    await services.positive_list.admit(SUPERVISOR, _admission(B["credit_code"]), request_id="r-1")
    version = (await _doc(database, B["credit_code"]))["version"]
    await services.registry.update_and_redecide(SUPERVISOR, credit_code=B["credit_code"], version=version,
                                                changes={"credit": {"tier": "red", "rated_on": TODAY,
                                                                    "published": True}}, request_id="r-2")
    assert (await _doc(database, B["credit_code"])).get("positive_list") is None  # admitted today: nothing left
    [removal, _] = await services.positive_list.history(SUPERVISOR, B["credit_code"])
    assert (removal.action, removal.cause) == (ChangeAction.REMOVED, ChangeCause.AUTOMATIC)
    assert "pl_credit_downgrade" in removal.basis


async def test_a_supervisor_removes_with_a_reason_and_a_date(services: Services, database: Database) -> None:
    await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"], start=TODAY - timedelta(days=90)),
                                       request_id="r-1")
    with pytest.raises(ValidationFailed) as no_reason:
        await services.positive_list.remove(XIAN_SUPERVISOR, credit_code=A["credit_code"], reason="  ",
                                            effective_on=None, request_id="r-2")
    assert [e.code for e in no_reason.value.errors] == ["REASON_REQUIRED"]
    with pytest.raises(NotFound):
        await services.positive_list.remove(BAOJI_SUPERVISOR, credit_code=A["credit_code"], reason="x",
                                            effective_on=None, request_id="r-3")
    removed = await services.positive_list.remove(
        XIAN_SUPERVISOR, credit_code=A["credit_code"], reason="媒体曝光疑似违法", effective_on=TODAY - timedelta(days=10),
        request_id="r-4")
    assert (removed.cause, removed.reason, removed.actor) == (ChangeCause.DECISION, "媒体曝光疑似违法", "xian")
    doc = await _doc(database, A["credit_code"])
    assert doc["positive_list"]["valid_to"] == (TODAY - timedelta(days=11)).isoformat()
    with pytest.raises(ValidationFailed) as gone:
        await services.positive_list.remove(XIAN_SUPERVISOR, credit_code=A["credit_code"], reason="again",
                                            effective_on=None, request_id="r-5")
    assert [e.code for e in gone.value.errors] == ["NOT_ON_LIST"]


async def test_a_removed_member_is_drawn_at_full_weight(services: Services, database: Database) -> None:
    plan = PlanSettings(name="2026年第四季度", jurisdiction="610100", matters=["M1"], period_start=TODAY,
                        period_end=TODAY + timedelta(days=80))
    classify = plan_classifier(plan, TODAY)
    await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"], start=TODAY - timedelta(days=5)),
                                       request_id="r-1")
    member = classify(await _doc(database, A["credit_code"]), True)[1]
    await services.positive_list.remove(SUPERVISOR, credit_code=A["credit_code"], reason="处罚", effective_on=None,
                                        request_id="r-2")
    removed = classify(await _doc(database, A["credit_code"]), True)[1]
    never = classify(await _doc(database, B["credit_code"]), True)[1]
    assert removed == never and member == pytest.approx(never * plan.positive_list_factor)


async def test_members_take_fewer_heavy_pollution_measures(services: Services, database: Database) -> None:
    await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"]), request_id="r-1")
    compute = policy_measures(database, services.policies)
    start = datetime.now(UTC) + timedelta(hours=1)
    found = await compute(AlertData(level="orange", jurisdictions=["610100"], starts_at=start,
                                    ends_at=start + timedelta(days=2), source="forecast"))
    by_code = {m["credit_code"]: m for m in found.measures}
    # Both are grade C: the non-member halts at orange, the member decides its own measures.
    assert (by_code[A["credit_code"]]["measure"], by_code[A["credit_code"]]["rules"]) == (
        "self_determined", ["hp_positive_list"])
    assert by_code[B["credit_code"]]["measure"] == "halt"


async def test_an_alert_campaign_leaves_members_out_until_removed(services: Services, database: Database) -> None:
    await services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"]), request_id="r-1")
    start = datetime.now(UTC)
    alert = {"level": "orange", "jurisdictions": ["610100"], "starts_at": start, "ends_at": start + timedelta(days=3),
             "source": "西安市重污染天气应急指挥部"}
    first = await services.alerts.issue(SUPERVISOR, alert)

    async def routes(alert_id: str) -> dict[str, str]:
        rows = await services.alerts.measures(SUPERVISOR, alert_id, first=100, after=None)
        return {r["credit_code"]: r["verification"]["route"] for r in rows}

    # A member has nothing to verify (self-determined measures); the others are routed non-site first and
    # sampled (core/alerts/verification.py), so only they can be visited.
    assert (await routes(first.id))[A["credit_code"]] == "not_checked"
    tasks = await services.alerts.verification_tasks(SUPERVISOR, first.id)
    assert A["credit_code"] not in {t.credit_code for t in tasks}

    event = {"id": str(uuid.uuid4()), "credit_code": A["credit_code"], "kind": "case", "occurred_on": TODAY,
             "reference": "立案〔2026〕3号"}
    await services.events.record_and_redecide(SUPERVISOR, event, request_id="r-2")  # a case removes it (rule 12)
    second = await services.alerts.issue(SUPERVISOR, {**alert, "starts_at": datetime.now(UTC)})
    assert (await routes(second.id))[A["credit_code"]] in ("sampled", "not_sampled", "nonsite")  # a candidate again


async def test_concurrent_admissions_of_one_enterprise_admit_it_once(services: Services,
                                                                     database: Database) -> None:
    results = await asyncio.gather(*(services.positive_list.admit(SUPERVISOR, _admission(A["credit_code"]),
                                                                  request_id=f"r-{i}") for i in range(3)),
                                   return_exceptions=True)
    admitted = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(admitted) == 1 and len(refused) == 2, results
    assert {r.code for r in refused} == {"ALREADY_ON_LIST"}
    assert await database["positive_list_changes"].count_documents({"credit_code": A["credit_code"]}) == 1
