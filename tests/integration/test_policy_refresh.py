"""Activating a policy version refreshes the stored decisions it governs (now, or on its effective date through
the daily job), in batches that resume where an interrupted run stopped; golden cases are checked on entry
and can be deleted, drafts discarded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_draws import seed
from test_policies import ALICE, BOB, POLICY, stricter

from core.config import Settings
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed
from core.policies import decisions as decisions_module
from core.policies.service import PolicyService
from rules.policy_engine import RulesEngine

TODAY = datetime.now(UTC).date()
UNMONITORED_KEY = {"penalties_12m": 0, "supervised_case": False, "credit_tier": "blue", "emergency_risk": "none",
                   "verified_complaints_12m": 0, "key_discharger": True, "online_monitoring": False}


@pytest.fixture
async def service(database: Database) -> PolicyService:
    await seed(database, 300)
    service = PolicyService(database, engine=RulesEngine())
    await service.install_default_packs()
    assert await service.redecide_all(trigger="seed") > 0
    return service


async def approved_stricter(service: PolicyService) -> str:
    draft = await service.create_version(ALICE, POLICY)
    draft = await service.update_draft(ALICE, draft.id, stricter(draft.content), reason="unmonitored key")
    await service.add_golden_case(ALICE, draft.id, facts=UNMONITORED_KEY, expected={"class": "special"})
    await service.submit(ALICE, draft.id)
    await service.approve(BOB, draft.id)
    return draft.id


async def classes(service: PolicyService) -> dict[str, dict[str, Any]]:
    codes = [d["credit_code"] async for d in service.database["enterprises"].find({}, {"credit_code": 1})]
    return {code: found["supervision_class"] for code, found in (await service.current_decisions(codes)).items()}


async def test_activation_from_today_refreshes_every_stored_decision(service: PolicyService) -> None:
    before = await classes(service)
    version_id = await approved_stricter(service)
    await service.activate(BOB, version_id, effective_from=TODAY)

    refresh = await service.refresh_of(version_id)
    assert refresh is not None and refresh.state == "done"
    assert refresh.evaluated == 300 and refresh.changed > 0
    after = await classes(service)
    changed = {code for code in after if after[code]["outputs"] != before[code]["outputs"]}
    assert len(changed) == refresh.changed
    assert {(before[c]["outputs"]["class"], after[c]["outputs"]["class"]) for c in changed} == {("key", "special")}
    # Every dossier names the version now in force, changed or not.
    assert {d["version"] for d in after.values()} == {version_id}
    explained = await service.explain(ALICE, credit_code=next(iter(changed)), policy_id=POLICY, at=TODAY)
    assert explained is not None and explained.version == version_id and explained.outputs == {"class": "special"}


async def test_an_interrupted_refresh_resumes_where_it_stopped(service: PolicyService,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    version_id = await approved_stricter(service)
    monkeypatch.setattr(decisions_module, "BATCH", 100)
    calls = {"n": 0}
    real = decisions_module.decide_batch

    async def failing_second_batch(*args: Any, **kwargs: Any) -> tuple[int, int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("process died")
        return await real(*args, **kwargs)

    monkeypatch.setattr(decisions_module, "decide_batch", failing_second_batch)
    with pytest.raises(RuntimeError):
        await service.activate(BOB, version_id, effective_from=TODAY)
    stopped = await service.refresh_of(version_id)
    assert stopped is not None and stopped.state == "running" and stopped.evaluated == 100
    assert (await service.policy(POLICY)).active_version == version_id  # the activation itself stands

    monkeypatch.setattr(decisions_module, "decide_batch", real)
    ran = await service.run_due_refreshes(TODAY)
    assert ran == [version_id]
    done = await service.refresh_of(version_id)
    assert done is not None and done.state == "done" and done.evaluated == 300  # each enterprise once
    assert {d["version"] for d in (await classes(service)).values()} == {version_id}


async def test_future_activation_is_refreshed_by_the_daily_job_on_its_date(database: Database,
                                                                           service: PolicyService) -> None:
    from api.assembly import build_jobs

    version_id = await approved_stricter(service)
    start = TODAY + timedelta(days=3)
    await service.activate(BOB, version_id, effective_from=start)
    scheduled = await service.refresh_of(version_id)
    assert scheduled is not None and scheduled.state == "scheduled" and scheduled.evaluated == 0
    assert {d["version"] for d in (await classes(service)).values()} == {f"{POLICY}:v1"}

    jobs = build_jobs(database, Settings())

    def outcome(results: list[Any]) -> dict[str, Any]:
        return next(r.detail for r in results if r.job == "policy-redecide")

    day_before = outcome(await jobs.run_due("test", today=start - timedelta(days=1)))
    assert day_before["refreshed"] == []
    assert {d["version"] for d in (await classes(service)).values()} == {f"{POLICY}:v1"}
    on_the_day = outcome(await jobs.run_due("test", today=start))
    assert on_the_day["refreshed"] == [version_id]
    after = await classes(service)
    assert {d["version"] for d in after.values()} == {version_id}
    assert any(d["outputs"] == {"class": "special"} for d in after.values())
    done = await service.refresh_of(version_id)
    assert done is not None and done.state == "done" and done.evaluated == 300
    again = outcome(await jobs.run_due("test", today=start))  # a second round the same day: nothing to redo
    assert again["refreshed"] == []


@pytest.mark.parametrize(("facts", "field", "code"), [
    ({**UNMONITORED_KEY, "credit_tier": "purple"}, "facts.credit_tier", "TYPE_MISMATCH"),
    ({**UNMONITORED_KEY, "penalties_12m": "1"}, "facts.penalties_12m", "TYPE_MISMATCH"),
    ({**UNMONITORED_KEY, "colour": "red"}, "facts.colour", "UNKNOWN_FACT"),
])
async def test_golden_cases_with_invalid_facts_are_refused(service: PolicyService, facts: dict[str, Any],
                                                           field: str, code: str) -> None:
    draft = await service.create_version(ALICE, POLICY)
    with pytest.raises(ValidationFailed) as caught:
        await service.add_golden_case(ALICE, draft.id, facts=facts, expected={"class": "special"})
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    assert field.split(".")[1] in caught.value.errors[0].message
    assert (await service.version(draft.id)).golden_cases == []


async def test_golden_case_with_an_unknown_output_is_refused(service: PolicyService) -> None:
    draft = await service.create_version(ALICE, POLICY)
    with pytest.raises(ValidationFailed) as caught:
        await service.add_golden_case(ALICE, draft.id, facts=UNMONITORED_KEY, expected={"klass": "special"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("expected.klass", "UNKNOWN_OUTPUT")]


async def test_a_golden_case_can_be_deleted_from_a_draft(service: PolicyService) -> None:
    draft = await service.create_version(ALICE, POLICY)
    draft = await service.update_draft(ALICE, draft.id, stricter(draft.content), reason="r")
    wrong = await service.add_golden_case(ALICE, draft.id, facts=UNMONITORED_KEY, expected={"class": "key"})
    with pytest.raises(ValidationFailed):
        await service.submit(ALICE, draft.id)
    bad = wrong.golden_cases[0].id
    await service.add_golden_case(ALICE, draft.id, facts=UNMONITORED_KEY, expected={"class": "special"})
    kept = await service.delete_golden_case(ALICE, draft.id, case_id=bad)
    assert [c.expected for c in kept.golden_cases] == [{"class": "special"}]
    assert (await service.submit(ALICE, draft.id)).status.value == "in_review"
    with pytest.raises(Conflict):  # no longer a draft
        await service.delete_golden_case(ALICE, draft.id, case_id=kept.golden_cases[0].id)
    other = await service.create_version(ALICE, POLICY)
    with pytest.raises(NotFound):
        await service.delete_golden_case(ALICE, other.id, case_id="nope")
    log = await service.repository.changes(POLICY)
    assert any(e["action"] == "delete_golden_case" and e["detail"] == {"case": bad} for e in log)


async def test_a_draft_can_be_discarded_and_only_a_draft(service: PolicyService) -> None:
    draft = await service.create_version(ALICE, POLICY)
    discarded = await service.discard_draft(ALICE, draft.id, reason="started from the wrong parent")
    assert discarded.status.value == "discarded"
    with pytest.raises(Conflict):
        await service.update_draft(ALICE, draft.id, draft.content, reason="x")
    with pytest.raises(Conflict):
        await service.discard_draft(ALICE, draft.id, reason="again")
    with pytest.raises(Conflict):
        await service.discard_draft(ALICE, f"{POLICY}:v1", reason="the active one")
    with pytest.raises(ValidationFailed) as caught:
        await service.discard_draft(ALICE, (await service.create_version(ALICE, POLICY)).id, reason=" ")
    assert caught.value.errors[0].code == "REASON_REQUIRED"
    log = await service.repository.changes(POLICY)
    assert any(e["action"] == "discard" and e["reason"] == "started from the wrong parent" for e in log)




async def test_a_default_plan_takes_its_classes_from_the_policy_in_force_on_its_start(
        database: Database, service: PolicyService) -> None:
    from test_draws import SUPERVISOR, plan_input, services_for

    services = services_for(database)
    plan = await services.plans.create(SUPERVISOR, plan_input(), request_id="r")
    assert plan.ratio_source == "plan"
    version_id = await approved_stricter(service)
    simulated = await service.simulate(ALICE, version_id, day=plan.period_start)
    becoming_special = {row["credit_code"] for row in simulated.listed}
    assert becoming_special
    await service.activate(BOB, version_id, effective_from=plan.period_start)  # stored decisions: still v1

    frozen = await services.draws.freeze(SUPERVISOR, plan.id, request_id="r")
    committed = json.loads(await services.plans.repository.commitment(plan.id) or b"{}")
    strata = {row[0]: row[1] for row in committed["population"]["rows"]}
    assert {strata[code] for code in becoming_special} == {"special"}
    assert frozen.stratum_ratios == {"special": 1.0, "key": 0.25, "general": 0.05}  # the plan's own ratios
