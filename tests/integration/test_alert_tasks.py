"""Alert verification tasks on the real server: one per halted or cut enterprise, kept in sync, staffed at random."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import enterprise_row
from test_draws import SUPERVISOR

from core.accounts.models import Viewer
from core.alerts import tasks as alert_tasks
from core.alerts.service import AlertService
from core.db import Database
from core.inspections.repository import InspectionRepository
from core.inspections.targeted import TargetedService
from core.nonsite.repository import MeterRepository
from core.policies.service import PolicyService
from core.registry.importing import EnterpriseImporter, import_inspector_rows
from core.registry.sources import SourceRow
from rules.alert_measures import policy_measures
from rules.policy_engine import RulesEngine
from scheduler import alert_sample
from scheduler.engine import SchedulerEngine

NOW = datetime.now(UTC)
TODAY = NOW.date()
GUARANTEE = {"guarantee_approved_by": "西安市生态环境局", "guarantee_valid_from": "2020-01-01",
             "guarantee_valid_to": "2099-12-31"}
ROWS = {  # name → (row, measure under an orange alert for Xi'an)
    "c": (enterprise_row("91610100MT0000001", industry_code="3971", performance_grade="C"), "halt"),
    "d": (enterprise_row("91610100MT0000002", industry_code="3971", performance_grade="D"), "halt"),
    "b_cement": (enterprise_row("91610100MT0000003", industry_code="3011", performance_grade="B"), "reduce"),
    "ungraded": (enterprise_row("91610100MT0000004", industry_code="3971"), "reduce"),
    "a": (enterprise_row("91610100MT0000005", industry_code="3971", performance_grade="A"), "self_determined"),
    "a_plus": (enterprise_row("91610100MT0000006", industry_code="3971", performance_grade="A+"), "self_determined"),
    "c_guaranteed": (enterprise_row("91610100MT0000007", industry_code="3971", performance_grade="C", **GUARANTEE),
                     "self_determined"),
    "baoji_c": (enterprise_row("91610300MT0000008", jurisdiction="610300", industry_code="3971",
                               performance_grade="C"), None),  # outside the alert
}
CODE = {name: row["credit_code"] for name, (row, _measure) in ROWS.items()}
CHECKED = {"c", "d", "b_cement", "ungraded"}


def orange(**extra: Any) -> dict[str, Any]:
    return {"level": "orange", "jurisdictions": ["610100"], "starts_at": NOW, "ends_at": NOW + timedelta(days=3),
            "source": "西安市重污染天气应急指挥部", **extra}


def inspector(staff_id: str, jurisdictions: str, *, expires: str = "2099-01-01", on_post: str = "true",
              conflicts: str = "") -> dict[str, str]:
    return {"staff_id": staff_id, "name": staff_id[-4:], "certificate_number": "C" + staff_id[-4:],
            "certificate_expires": expires, "on_post": on_post, "jurisdictions": jurisdictions,
            "conflicts": conflicts}


ELIGIBLE = ["SX-610100-0001", "SX-610100-0002", "SX-610100-0003", "SX-610000-0001", "SX-610100-0009"]
INSPECTORS = [
    inspector("SX-610100-0001", "610100"), inspector("SX-610100-0002", "610100"),
    inspector("SX-610100-0003", "610100"), inspector("SX-610000-0001", "610000"),  # the province covers Xi'an
    inspector("SX-610100-0009", "610100", conflicts=CODE["c"]),  # recused for one enterprise only
    inspector("SX-610100-0004", "610100", expires=(TODAY - timedelta(days=1)).isoformat()),
    inspector("SX-610100-0005", "610100", on_post="false"),
    inspector("SX-610300-0001", "610300"),  # Baoji only
]


async def import_rows(database: Database, rows: list[dict[str, str]]) -> None:
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, dict(r)) for i, r in enumerate(rows, 1)), rescan=None)
    assert report.failed == 0


async def import_inspectors(database: Database, rows: list[dict[str, str]]) -> None:
    report = await import_inspector_rows(database, (SourceRow(i, r) for i, r in enumerate(rows, 1)))
    assert report.inserted == len(rows)


class CheckEveryone(RulesEngine):
    """The real engine, with a verification policy that sends every checkable enterprise on site (ratio 1):
    what a rule author would activate to check them all, and what these tests of task upkeep need."""

    def default_packs(self) -> dict[str, dict[str, Any]]:
        packs = super().default_packs()
        rule = {"id": "av_everyone", "when": [], "then": {"ratio": 1.0, "weight": 1.0}, "rationale": "check all"}
        return {**packs, "alert_verification": {"kind": "alert_verification", "rules": [rule]}}


def alert_service(database: Database, policies: PolicyService, **options: Any) -> AlertService:
    return AlertService(database, compute_measures=policy_measures(database, policies),
                        select=alert_sample.select, design_pi=alert_sample.inclusion,
                        open_alerts=MeterRepository(database).open_alert_codes, **options)


@pytest.fixture
async def alerts(database: Database) -> AlertService:
    await import_rows(database, [row for row, _measure in ROWS.values()])
    policies = PolicyService(database, engine=CheckEveryone())
    await policies.install_default_packs()
    return alert_service(database, policies)


async def staff(database: Database, viewer: Viewer, origin: str) -> dict[str, Any]:
    return await TargetedService(database, SchedulerEngine()).staff(viewer, origin)


async def tasks_of(database: Database, alert_id: str) -> dict[str, Any]:
    return {t.credit_code: t for t in await InspectionRepository(database).targeted_of(alert_tasks.origin(alert_id))}


async def test_issuing_creates_one_task_per_halted_or_cut_enterprise(database: Database,
                                                                     alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    measures = {m["credit_code"]: m for m in await alerts.measures(SUPERVISOR, alert.id, first=100, after=None)}
    assert {code: m["measure"] for code, m in measures.items()} == {
        CODE[name]: measure for name, (_row, measure) in ROWS.items() if measure}
    tasks = await tasks_of(database, alert.id)
    assert set(tasks) == {CODE[name] for name in CHECKED}
    assert await database["tasks"].count_documents({"draw_id": f"alert:{alert.id}"}) == len(CHECKED)
    for code, task in tasks.items():
        assert (task.kind, task.plan_id, task.draw_id, task.status.value) == (
            "alert_verification", None, f"alert:{alert.id}", "unstaffed")
        assert task.inspectors == [] and task.lead is None and task.unstaffed_reason == alert_tasks.AWAITING
        assert task.target is not None and task.target["alert_id"] == alert.id
        assert task.target["alert_level"] == "orange" and task.target["measure"] == measures[code]["measure"]
        assert task.target["reduction_pct"] == measures[code]["reduction_pct"]
        assert task.target["rules"] == measures[code]["rules"] and task.target["policy_version"] == alert.policy_version
    assert tasks[CODE["b_cement"]].target["reduction_pct"] == 50  # type: ignore[index]


async def test_issuing_is_atomic_with_the_measures(database: Database, alerts: AlertService,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = InspectionRepository.insert_targeted

    async def insert_then_fail(self: InspectionRepository, tasks: list[Any], *, session: Any) -> None:
        await real(self, tasks, session=session)
        raise RuntimeError("injected failure after the tasks were written")

    monkeypatch.setattr(InspectionRepository, "insert_targeted", insert_then_fail)
    with pytest.raises(RuntimeError):
        await alerts.issue(SUPERVISOR, orange())
    for collection in ("alerts", "alert_measures", "tasks"):
        assert await database[collection].count_documents({}) == 0, collection


async def test_changes_resync_the_tasks(database: Database, alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    # Meanwhile "c" is re-rated A (no measure to check any more) and a new D-grade enterprise appears.
    newcomer = enterprise_row("91610100MT0000009", industry_code="3971", performance_grade="D")
    await import_rows(database, [{**ROWS["c"][0], "performance_grade": "A"}, newcomer])
    await alerts.update(SUPERVISOR, alert.id, version=1, changes={"level": "yellow"})
    tasks = await tasks_of(database, alert.id)
    assert set(tasks) == {CODE[name] for name in CHECKED} | {newcomer["credit_code"]}
    status = {code: t.status.value for code, t in tasks.items()}
    assert status.pop(CODE["c"]) == "cancelled" and set(status.values()) == {"unstaffed"}
    assert tasks[CODE["c"]].unstaffed_reason == "the measure no longer needs verification"
    # The downgrade turned the halt of "d" into a 30 % cut: its task now verifies that.
    d_target = tasks[CODE["d"]].target or {}
    assert (d_target["alert_level"], d_target["measure"], d_target["reduction_pct"]) == ("yellow", "reduce", 30)
    assert tasks[newcomer["credit_code"]].target["measure"] == "reduce"  # type: ignore[index]


async def test_a_measure_that_comes_back_gets_a_live_task_again(database: Database, alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    await import_rows(database, [{**ROWS["c"][0], "performance_grade": "A"}])
    await alerts.update(SUPERVISOR, alert.id, version=1, changes={"level": "yellow"})
    assert (await tasks_of(database, alert.id))[CODE["c"]].status.value == "cancelled"
    await import_rows(database, [ROWS["c"][0]])  # re-rated C again, then the alert goes back up to orange
    await alerts.update(SUPERVISOR, alert.id, version=2, changes={"level": "orange"})
    measures = {m["credit_code"]: m["measure"] for m in await alerts.measures(SUPERVISOR, alert.id, first=100,
                                                                               after=None)}
    task = (await tasks_of(database, alert.id))[CODE["c"]]
    assert measures[CODE["c"]] == "halt"
    assert task.status.value != "cancelled", (
        "BUG core/alerts/tasks.py sync_tasks: an enterprise whose task was cancelled is counted as already having "
        "one (`code not in existing`) and set_target skips cancelled tasks, so a halt that comes back is never "
        "verified")


async def test_lifting_cancels_the_unstarted_tasks(database: Database, alerts: AlertService) -> None:
    alert = await alerts.issue(SUPERVISOR, orange())
    started = (await tasks_of(database, alert.id))[CODE["d"]]
    await database["tasks"].update_one({"_id": started.id}, {"$set": {"status": "in_progress"}})
    await alerts.lift(SUPERVISOR, alert.id, version=1, reason="空气质量好转")
    status = {code: t.status.value for code, t in (await tasks_of(database, alert.id)).items()}
    assert status.pop(CODE["d"]) == "in_progress"  # work already under way is not thrown away
    assert set(status.values()) == {"cancelled"} and len(status) == len(CHECKED) - 1
    reasons = {t.unstaffed_reason for t in (await tasks_of(database, alert.id)).values() if t.status.value != "in_progress"}
    assert reasons == {"the alert was lifted"}


async def test_staffing_draws_two_distinct_eligible_inspectors(database: Database, alerts: AlertService) -> None:
    await import_inspectors(database, INSPECTORS)
    alert = await alerts.issue(SUPERVISOR, orange())
    done = await staff(database, SUPERVISOR, alert_tasks.origin(alert.id))
    assert done["staffed"] == len(CHECKED) and done["unstaffed"] == {}
    assert len(done["seed"]) == 64 and int(done["seed"], 16) >= 0
    used: set[str] = set()
    for code, task in (await tasks_of(database, alert.id)).items():
        assert task.status.value == "assigned" and task.unstaffed_reason is None
        assert len(task.inspectors) == 2 == len(set(task.inspectors)) and task.lead == task.inspectors[0]
        assert set(task.inspectors) <= set(ELIGIBLE) and task.drawn_inspectors == task.inspectors
        if code == CODE["c"]:
            assert "SX-610100-0009" not in task.inspectors  # declared conflict
        target = task.target or {}
        assert target["seed"] == done["seed"] and target["algorithm"] == "least-loaded-v1"
        assert target["measure"] in ("halt", "reduce")  # the reason for the task is kept
        used |= set(task.inspectors)
    assert len(used) >= 4  # 8 places over 5 eligible inspectors: the load is spread
    again = await staff(database, SUPERVISOR, alert_tasks.origin(alert.id))
    assert again == {"staffed": 0, "unstaffed": {}, "seed": None}  # nothing left to staff


async def test_tasks_without_eligible_inspectors_stay_unstaffed_with_the_reason(database: Database,
                                                                                alerts: AlertService) -> None:
    await import_inspectors(database, [INSPECTORS[5], INSPECTORS[6], INSPECTORS[7]])  # expired, off post, Baoji
    alert = await alerts.issue(SUPERVISOR, orange())
    done = await staff(database, SUPERVISOR, alert_tasks.origin(alert.id))
    assert done["staffed"] == 0 and set(done["unstaffed"]) == {CODE[name] for name in CHECKED}
    assert all(reason.startswith("only 0 eligible inspector(s)") for reason in done["unstaffed"].values())
    tasks = await tasks_of(database, alert.id)
    assert {t.status.value for t in tasks.values()} == {"unstaffed"}
    assert all(t.inspectors == [] for t in tasks.values())
    stored = {code: t.unstaffed_reason for code, t in tasks.items()}
    assert stored == done["unstaffed"], (
        "BUG core/inspections/targeted.py TargetedService.staff: tasks left without a team keep the reason 'awaiting assignment "
        "by a supervisor'; the shortage reason is only returned, never stored (random draws store it, "
        "core/inspections/drawing.py, and scheduler/jobs.py reports the stored reason)")
