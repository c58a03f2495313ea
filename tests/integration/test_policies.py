"""Policy lifecycle on the real server: default pack, draft, validation, golden cases, review, simulation,
activation, explanation by date, rollback."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from test_draws import seed

from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.policies.service import PolicyService
from rules.policy_engine import RulesEngine

ALICE = Viewer(username="alice", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
BOB = Viewer(username="bob", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
POLICY = "supervision_class:610000"
TODAY = datetime.now(UTC).date()


@pytest.fixture
async def service(database: Database) -> PolicyService:
    await seed(database, 400)
    service = PolicyService(database, engine=RulesEngine())
    assert await service.install_default_packs() == [f"{kind}:610000:v1" for kind in (
        "supervision_class", "positive_list", "sampling_ratio", "heavy_pollution_measures", "electricity_triggers",
        "penalty_discretion", "alert_verification")]
    assert await service.install_default_packs() == []  # once only
    return service


def stricter(document: dict) -> dict:
    """Key dischargers without online monitoring become special (a change a rule author might make)."""
    changed = copy.deepcopy(document)
    changed["rules"].insert(0, {"id": "special_unmonitored_key", "priority": 5, "when": [
        {"fact": "key_discharger", "op": "eq", "value": True}, {"fact": "online_monitoring", "op": "eq",
                                                                "value": False}],
        "then": {"class": "special"}, "rationale": "Key dischargers without connected monitoring.",
        "legal_reference": "local rule (test)"})
    return changed


async def test_full_lifecycle(database: Database, service: PolicyService) -> None:
    draft = await service.create_version(ALICE, POLICY)
    assert draft.status.value == "draft" and draft.parent == f"{POLICY}:v1"
    draft = await service.update_draft(ALICE, draft.id, stricter(draft.content), reason="unmonitored key dischargers")
    assert await service.validate(ALICE, draft.id) == []
    with pytest.raises(ValidationFailed) as caught:
        await service.submit(ALICE, draft.id)
    assert caught.value.errors[0].code == "NO_GOLDEN_CASES"
    facts = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "blue", "emergency_risk": "none",
             "verified_complaints_12m": 0, "key_discharger": True, "online_monitoring": False}
    await service.add_golden_case(ALICE, draft.id, facts=facts, expected={"class": "key"})  # wrong on purpose
    with pytest.raises(ValidationFailed) as caught:
        await service.submit(ALICE, draft.id)
    assert caught.value.errors[0].code == "GOLDEN_CASE_FAILED"
    fresh = await service.create_version(ALICE, POLICY)  # from the active v1, which has no golden cases
    assert fresh.golden_cases == []
    fresh = await service.update_draft(ALICE, fresh.id, stricter(fresh.content), reason="again")
    await service.add_golden_case(ALICE, fresh.id, facts=facts, expected={"class": "special"})
    submitted = await service.submit(ALICE, fresh.id)
    assert submitted.status.value == "in_review"
    with pytest.raises(PermissionDenied) as denied:
        await service.approve(ALICE, fresh.id)
    assert denied.value.code == "SELF_APPROVAL"
    approved = await service.approve(BOB, fresh.id)
    assert approved.approver == "bob"

    simulation = await service.simulate(ALICE, fresh.id)
    assert simulation.evaluated == 400 and simulation.changed > 0
    assert all(t == ("class", "key", "special") for t in simulation.transitions)
    assert f"{simulation.changed} of 400 enterprises change" in simulation.summary()

    tomorrow = TODAY + timedelta(days=1)
    active = await service.activate(BOB, fresh.id, effective_from=tomorrow)
    assert active.status.value == "active"
    v1 = await service.version(f"{POLICY}:v1")
    assert v1.status.value == "retired" and v1.periods[-1].end == TODAY
    code = simulation.listed[0]["credit_code"]
    today_decision = await service.explain(ALICE, credit_code=code, policy_id=POLICY, at=TODAY)
    later = await service.explain(ALICE, credit_code=code, policy_id=POLICY, at=tomorrow)
    assert today_decision is not None and later is not None
    assert today_decision.version == f"{POLICY}:v1" and today_decision.outputs == {"class": "key"}
    assert later.version == fresh.id and later.outputs == {"class": "special"}
    assert later.applied[0].id == "special_unmonitored_key" and later.applied[0].rationale

    with pytest.raises(Conflict):  # an active version is never edited
        await service.update_draft(ALICE, fresh.id, fresh.content, reason="x")
    with pytest.raises(ValidationFailed):  # a rollback needs a reason
        await service.rollback(ALICE, POLICY, to_version=f"{POLICY}:v1", reason=" ")
    # Rolled back before it took effect: the scheduled version never counts, v1 simply continues.
    resumed = await service.rollback(ALICE, POLICY, to_version=f"{POLICY}:v1", reason="too strict")
    assert resumed.status.value == "active" and [(p.start, p.end) for p in resumed.periods] == [
        (v1.periods[0].start, None)]
    assert (await service.version(fresh.id)).periods == []
    assert (await service.in_force(POLICY, tomorrow)).id == f"{POLICY}:v1"
    with pytest.raises(Conflict) as again:  # a cancelled version goes back through review, not straight to active
        await service.activate(BOB, fresh.id, effective_from=tomorrow)
    assert again.value.code == "WRONG_STATUS"
    log = await service.repository.changes(POLICY)
    assert {entry["action"] for entry in log} >= {"install", "create", "update", "add_golden_case", "submit",
                                                  "approve", "activate"}


async def test_rollback_reactivates_an_earlier_version(database: Database, service: PolicyService) -> None:
    draft = await service.create_version(ALICE, POLICY)
    draft = await service.update_draft(ALICE, draft.id, stricter(draft.content), reason="r")
    await service.add_golden_case(ALICE, draft.id, facts={
        "penalties_12m": 0, "supervised_case": False, "credit_tier": "blue", "emergency_risk": "none",
        "verified_complaints_12m": 0, "key_discharger": False, "online_monitoring": False},
        expected={"class": "general"})
    await service.submit(ALICE, draft.id)
    await service.approve(BOB, draft.id)
    await service.activate(BOB, draft.id, effective_from=TODAY)
    assert (await service.policy(POLICY)).active_version == draft.id
    # Rolled back the same day: v2 never counts as in force, v1 is in force again from today.
    rolled = await service.rollback(BOB, POLICY, to_version=f"{POLICY}:v1", reason="simulation showed too many")
    assert rolled.status.value == "active" and [p.end for p in rolled.periods] == [None]  # no gap, no overlap
    assert (await service.policy(POLICY)).active_version == f"{POLICY}:v1"
    undone = await service.version(draft.id)
    assert undone.status.value == "retired" and undone.periods == []
    assert (await service.in_force(POLICY, TODAY)).id == f"{POLICY}:v1"


@pytest.mark.parametrize(("change", "code"), [
    (lambda d: d["rules"][0]["when"].append({"fact": "colour", "op": "eq", "value": 1}), "UNKNOWN_FACT"),
    (lambda d: d["rules"][0].update({"then": {"class": "vip"}}), "INVALID_OUTPUT"),
    (lambda d: d.update({"kind": "positive_list"}), "UNKNOWN_OUTPUT"),
])
async def test_bad_drafts_are_refused_and_nothing_changes(service: PolicyService, change: object, code: str) -> None:
    draft = await service.create_version(ALICE, POLICY)
    document = copy.deepcopy(draft.content)
    change(document)  # type: ignore[operator]
    with pytest.raises(ValidationFailed) as caught:
        await service.update_draft(ALICE, draft.id, document, reason="x")
    assert code in {e.code for e in caught.value.errors}
    assert (await service.version(draft.id)).content == draft.content
    assert (await service.policy(POLICY)).active_version == f"{POLICY}:v1"


async def test_only_rule_authors_edit(service: PolicyService) -> None:
    supervisor = Viewer(username="sup", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
    with pytest.raises(PermissionDenied):
        await service.create_version(supervisor, POLICY)


async def test_draws_can_take_class_ratio_and_weight_from_the_policies(database: Database,
                                                                       service: PolicyService) -> None:
    from test_draws import SUPERVISOR, plan_input

    from core.inspections.drawing import DrawService
    from core.inspections.service import PlanService
    from rules.population import policy_classifier_factory
    from scheduler.engine import SchedulerEngine
    from scheduler.verification import verify

    plans = PlanService(database)
    draws = DrawService(plans, SchedulerEngine(), policy_classifier=policy_classifier_factory(service))
    plan = await plans.create(SUPERVISOR, plan_input(ratio_source="policy"), request_id="r")
    frozen = await draws.freeze(SUPERVISOR, plan.id, request_id="r")
    assert frozen.stratum_ratios is not None
    assert set(frozen.stratum_ratios) <= {"special@1", "key@0.25", "general@0.05"}
    assert frozen.stratum_ratios.get("key@0.25") == 0.25
    draw = (await draws.draw(SUPERVISOR, plan.id, public_value="1 2 3 4 5", request_id="r")).draw
    assert draw.drawn_count == sum(frozen.quotas.values())
    assert all(check.ok for check in verify(await draws.document(SUPERVISOR, plan.id)))


async def test_future_activation_takes_effect_on_its_day(database: Database, service: PolicyService) -> None:
    today = datetime.now(UTC).date()
    assert await service.redecide_all(trigger="seed") > 0
    draft = await service.create_version(ALICE, POLICY)
    draft = await service.update_draft(ALICE, draft.id, stricter(draft.content), reason="from next week")
    facts = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "blue", "emergency_risk": "none",
             "verified_complaints_12m": 0, "key_discharger": True, "online_monitoring": False}
    await service.add_golden_case(ALICE, draft.id, facts=facts, expected={"class": "special"})
    await service.submit(ALICE, draft.id)
    await service.approve(BOB, draft.id)
    start = today + timedelta(days=7)
    await service.activate(BOB, draft.id, effective_from=start)

    await service.redecide_daily(start - timedelta(days=1))
    day_before = f"daily:{(start - timedelta(days=1)).isoformat()}"
    # Facts may move with the date (a permit expiring), but the new version is not yet in force.
    assert all(c["version"] != draft.id for c in await database["decision_changes"].find(
        {"trigger": day_before}).to_list())
    assert await service.redecide_daily(start - timedelta(days=1)) == {"refreshed": [],
        "skipped": f"already re-decided on {(start - timedelta(days=1)).isoformat()}"}
    on_the_day = await service.redecide_daily(start)
    assert on_the_day["refreshed"] == [draft.id]  # the version's refresh ran first, then the daily pass
    changed = await database["decision_changes"].find({"trigger": f"activation:{draft.id}"}).to_list()
    assert changed and {(c["before"]["class"], c["after"]["class"]) for c in changed} == {("key", "special")}
    assert {c["version"] for c in changed} == {draft.id}
