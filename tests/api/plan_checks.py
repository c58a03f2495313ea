"""Authorization checks for the plan fields, used by the authorization matrix."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import httpx
from conftest import add_matters, gql

from core.db import Database

SUPERVISE = {"prov_supervisor", "xian_supervisor", "admin"}
EDITS = {"xian": {"prov_supervisor", "xian_supervisor", "admin"}, "baoji": {"prov_supervisor", "admin"}}
CITY = {"xian": "610100", "baoji": "610300"}
PLAN_FIELDS = "plan { planId status jurisdiction } userErrors { code }"
# Each plan checks its own matter: a twin of an open plan (same jurisdiction, a shared matter, an overlapping
# period, frozen or drawn and unpublished) cannot be frozen (OVERLAPPING_PLAN), and the checks freeze many.
MATTERS = itertools.count(1)
MATRIX_MATTERS = 200  # matters listed for one test's database; plans name listed matters only


async def add_plan_matters(database: Database) -> None:
    """List the matters the next plans of this (fresh) database will name."""
    global MATTERS
    MATTERS = itertools.count(1)
    await add_matters(database, *(f"STJ-MATRIX-{n:04d}" for n in range(1, MATRIX_MATTERS + 1)), demo=False)


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def plan_input(where: str, *, this_year: bool = False) -> dict[str, Any]:
    """Next year's first quarter; or, for results (dated within the period, never in the future), this whole year
    with a visit cap the many plans of one check cannot reach."""
    year = datetime.now(UTC).year + (0 if this_year else 1)
    number = next(MATTERS)
    assert number <= MATRIX_MATTERS, "more plans than listed matters: raise MATRIX_MATTERS"
    return {"name": f"{where} plan", "jurisdiction": CITY[where], "matters": [f"STJ-MATRIX-{number:04d}"],
            "periodStart": f"{year}-01-01", "periodEnd": f"{year}-{12 if this_year else 3:02d}-31",
            "ratios": [{"stratum": "general", "ratio": 1.0}], **({"yearlyVisitCap": 365} if this_year else {})}


async def make_plan(client: httpx.AsyncClient, setup: str, where: str, *, until: str, this_year: bool = False
                    ) -> str:
    """A plan in ``where`` taken to ``until`` (draft, frozen, drawn) with the setup token."""
    created = await gql(client, f"mutation($i: CreatePlanInput!) {{ createPlan(input: $i) {{ {PLAN_FIELDS} }} }}",
                        {"i": plan_input(where, this_year=this_year)}, token=setup)
    plan_id = created["data"]["createPlan"]["plan"]["planId"]
    if until in ("frozen", "drawn"):
        frozen = await gql(client, f"mutation($p: String!) {{ freezePlan(input: {{planId: $p}}) {{ {PLAN_FIELDS} }} }}",
                           {"p": plan_id}, token=setup)
        assert frozen["data"]["freezePlan"]["userErrors"] == [], frozen
    if until == "drawn":
        drawn = await gql(client, "mutation($p: String!) { drawPlan(input: {planId: $p, publicValue: \"1 2 3 4 5\"}) "
                          "{ userErrors { code } } }", {"p": plan_id}, token=setup)
        assert drawn["data"]["drawPlan"]["userErrors"] == [], drawn
    return plan_id


def expect_mutation(result: dict[str, Any], field: str, role: str, where: str, *, outside: str = "NOT_FOUND") -> None:
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"][field]["userErrors"] == [], result
    else:
        assert result["data"][field]["userErrors"][0]["code"] == outside


async def check_create_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    result = await gql(client, f"mutation($i: CreatePlanInput!) {{ createPlan(input: $i) {{ {PLAN_FIELDS} }} }}",
                       {"i": plan_input(where)}, token=token)
    expect_mutation(result, "createPlan", role, where, outside="FORBIDDEN")


async def check_update_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="draft")
    result = await gql(client, f"mutation($p: String!) {{ updatePlan(input: {{planId: $p, version: 1, name: \"x\"}}) "
                       f"{{ {PLAN_FIELDS} }} }}", {"p": plan_id}, token=token)
    expect_mutation(result, "updatePlan", role, where)


async def check_freeze_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="draft")
    result = await gql(client, f"mutation($p: String!) {{ freezePlan(input: {{planId: $p}}) {{ {PLAN_FIELDS} }} }}",
                       {"p": plan_id}, token=token)
    expect_mutation(result, "freezePlan", role, where)


async def check_draw_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="frozen")
    result = await gql(client, "mutation($p: String!) { drawPlan(input: {planId: $p, publicValue: \"1 2 3 4 5\"}) "
                       "{ draw { drawnCount } userErrors { code } } }", {"p": plan_id}, token=token)
    expect_mutation(result, "drawPlan", role, where)


async def check_publish_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn")
    result = await gql(client, f"mutation($p: String!) {{ publishPlan(input: {{planId: $p}}) {{ {PLAN_FIELDS} }} }}",
                       {"p": plan_id}, token=token)
    expect_mutation(result, "publishPlan", role, where)


async def check_cancel_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="frozen")
    result = await gql(client, f"mutation($p: String!) {{ cancelPlan(input: {{planId: $p, reason: \"合并到专项\"}}) "
                       f"{{ {PLAN_FIELDS} }} }}", {"p": plan_id}, token=token)
    expect_mutation(result, "cancelPlan", role, where)
    listed = await gql(client, "{ publishedPlans { planId status } }")
    status = next(p["status"] for p in listed["data"]["publishedPlans"] if p["planId"] == plan_id)
    assert status == ("CANCELLED" if role in EDITS[where] else "FROZEN")


async def _read(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str, field: str,
                selection: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn")
    result = await gql(client, f"query($p: String!) {{ {field}(planId: $p) {selection} }}", {"p": plan_id}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"][field], result
    elif field == "planTasks":
        assert _code(result) == "NOT_FOUND" and result["data"] is None
    else:
        assert result["data"][field] is None


async def check_plan(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    await _read(client, token, role, where, setup, "plan", "{ planId }")


async def check_draw(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    await _read(client, token, role, where, setup, "draw", "{ seed }")


async def check_plan_tasks(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    await _read(client, token, role, where, setup, "planTasks", "{ creditCode }")


async def check_plans(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="draft")
    result = await gql(client, "{ plans { planId } }", token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    else:
        listed = {p["planId"] for p in result["data"]["plans"]}
        assert (plan_id in listed) == (role in EDITS[where])


async def check_my_tasks(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    await make_plan(client, setup, where, until="drawn")
    result = await gql(client, "{ myTasks { jurisdiction inspectors } }", token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role != "xian_inspector":
        assert _code(result) == "NOT_AN_INSPECTOR"
    else:
        tasks = result["data"]["myTasks"]
        assert tasks and all(t["jurisdiction"] == "610100" and "SX-610100-0001" in t["inspectors"] for t in tasks)


async def check_published_plans(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    draft = await make_plan(client, setup, where, until="draft")
    frozen = await make_plan(client, setup, where, until="frozen")
    result = await gql(client, "{ publishedPlans { planId commitment } }", token=token)
    listed = {p["planId"] for p in result["data"]["publishedPlans"]}
    assert frozen in listed and draft not in listed


async def check_published_draw(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                               setup: str) -> None:
    hidden = await make_plan(client, setup, where, until="drawn")
    shown = await make_plan(client, setup, where, until="drawn")
    published = await gql(client, "mutation($p: String!) { publishPlan(input: {planId: $p}) { userErrors { code } } }",
                          {"p": shown}, token=setup)
    assert published["data"]["publishPlan"]["userErrors"] == []
    query = "query($p: String!) { publishedDraw(planId: $p) { draw { seed } objects { creditCode } } }"
    assert (await gql(client, query, {"p": hidden}, token=token))["data"]["publishedDraw"] is None
    assert (await gql(client, query, {"p": shown}, token=token))["data"]["publishedDraw"]["objects"]


async def check_redraw(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn")
    tasks = await gql(client, "query($p: String!) { planTasks(planId: $p) { creditCode inspectors } }",
                      {"p": plan_id}, token=setup)
    task = tasks["data"]["planTasks"][0]
    result = await gql(client, "mutation($p: String!, $c: String!, $s: String) { redraw(input: {planId: $p, "
                       "creditCode: $c, kind: INSPECTOR, reason: \"回避\", staffId: $s}) { redrawId userErrors { code } } }",
                       {"p": plan_id, "c": task["creditCode"], "s": task["inspectors"][1]}, token=token)
    if role in EDITS[where]:
        # The plan was drawn under protocol 2: a replacement is filed, then completed (fileRedraw, completeRedraw).
        assert result["data"]["redraw"]["userErrors"] == [{"code": "WRONG_STATUS"}], result
    else:
        expect_mutation(result, "redraw", role, where)


async def check_file_redraw(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn")
    tasks = await gql(client, "query($p: String!) { planTasks(planId: $p) { creditCode inspectors } }",
                      {"p": plan_id}, token=setup)
    task = tasks["data"]["planTasks"][0]
    result = await gql(client, "mutation($p: String!, $c: String!) { fileRedraw(input: {planId: $p, "
                       "creditCode: $c, kind: OBJECT, reason: \"企业已关停\"}) { redrawId userErrors { code } } }",
                       {"p": plan_id, "c": task["creditCode"]}, token=token)
    if role in EDITS[where]:
        # Every general enterprise of the city is drawn (ratio 1.0): none is left to replace it with.
        assert result["data"]["fileRedraw"]["userErrors"] == [{"code": "NO_REPLACEMENT"}], result
    else:
        expect_mutation(result, "fileRedraw", role, where)


async def check_complete_redraw(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn")
    result = await gql(client, "mutation($p: String!) { completeRedraw(input: {planId: $p, publicValue: "
                       "\"1 2 3 4 5\"}) { redrawId userErrors { code } } }", {"p": plan_id}, token=token)
    if role in EDITS[where]:
        assert result["data"]["completeRedraw"]["userErrors"] == [{"code": "NOT_FOUND"}], result  # none was filed
    else:
        expect_mutation(result, "completeRedraw", role, where)


def result_day() -> str:
    """1 January of this year: within this year's plans, never in the future."""
    return f"{datetime.now(UTC).year}-01-01"


async def _task_id(client: httpx.AsyncClient, setup: str, plan_id: str) -> str:
    tasks = await gql(client, "query($p: String!) { planTasks(planId: $p) { taskId } }", {"p": plan_id}, token=setup)
    return str(tasks["data"]["planTasks"][0]["taskId"])


# This year's plan (a result is dated within its plan's period, never in the future); the task was never
# inspected, so its only possible result is NOT_INSPECTED.
RESULT = ("mutation($t: String!, $d: Date!) { recordTaskResult(input: {taskId: $t, outcome: NOT_INSPECTED, "
          "summary: \"企业已停产\", completedOn: $d}) { task { status } userErrors { code } } }")


async def check_record_result(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                              setup: str) -> None:
    task_id = await _task_id(client, setup, await make_plan(client, setup, where, until="drawn", this_year=True))
    result = await gql(client, RESULT, {"t": task_id, "d": result_day()}, token=token)
    expect_mutation(result, "recordTaskResult", role, where)


async def check_publish_results(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn", this_year=True)
    recorded = await gql(client, RESULT, {"t": await _task_id(client, setup, plan_id), "d": result_day()}, token=setup)
    assert recorded["data"]["recordTaskResult"]["userErrors"] == [], recorded
    result = await gql(client, "mutation($p: String!) { publishResults(input: {planId: $p}) { published "
                       "userErrors { code } } }", {"p": plan_id}, token=token)
    expect_mutation(result, "publishResults", role, where)
    published = await gql(client, "query($p: String!) { publishedResults(planId: $p) { outcome } }", {"p": plan_id})
    assert len(published["data"]["publishedResults"]) == (1 if role in EDITS[where] else 0)


async def check_published_results(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                  setup: str) -> None:
    plan_id = await make_plan(client, setup, where, until="drawn", this_year=True)
    recorded = await gql(client, RESULT, {"t": await _task_id(client, setup, plan_id), "d": result_day()}, token=setup)
    assert recorded["data"]["recordTaskResult"]["userErrors"] == [], recorded
    query = "query($p: String!) { publishedResults(planId: $p) { outcome summary } }"
    assert (await gql(client, query, {"p": plan_id}, token=token))["data"]["publishedResults"] == []
    await gql(client, "mutation($p: String!) { publishResults(input: {planId: $p}) { published } }",
              {"p": plan_id}, token=setup)
    shown = (await gql(client, query, {"p": plan_id}, token=token))["data"]["publishedResults"]
    assert shown == [{"outcome": "NOT_INSPECTED", "summary": "企业已停产"}]


async def _report(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str,
                  query: str, field: str) -> list[Any]:
    plan_id = await make_plan(client, setup, where, until="drawn", this_year=True)
    recorded = await gql(client, RESULT, {"t": await _task_id(client, setup, plan_id), "d": result_day()}, token=setup)
    assert recorded["data"]["recordTaskResult"]["userErrors"] == [], recorded
    result = await gql(client, query, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
        return []
    if role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
        return []
    return list(result["data"][field])


async def check_overdue(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    rows = await _report(client, token, role, where, setup, "{ overdueResults { jurisdiction } }", "overdueResults")
    if role in SUPERVISE:  # completed on 1 January and never published: past 20 working days (after January)
        assert {r["jurisdiction"] for r in rows} == ({"610100", "610300"} if role != "xian_supervisor" else {"610100"})


async def check_coverage(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    rows = await _report(client, token, role, where, setup,
                         f"{{ publicationCoverage(year: {datetime.now(UTC).year}) {{ jurisdiction completed "
                         "published ratio } }",
                         "publicationCoverage")
    if role in SUPERVISE:
        jurisdictions = {r["jurisdiction"] for r in rows}
        assert jurisdictions == ({"610100", "610300"} if role != "xian_supervisor" else {"610100"})
        assert all(r["completed"] >= 1 and r["ratio"] <= 1 for r in rows)


COVERAGE = """query($j: String!, $c: Int!) { coverageReport(jurisdiction: $j, cycle: $c, first: 5) {
  jurisdiction cycleStart cycleEnd classes { supervisionClass enterprises inspected share }
  neverInspected { totalCount edges { cursor node { creditCode supervisionClass } } pageInfo { hasNextPage } } } }"""


async def check_coverage_report(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                setup: str) -> None:
    """Supervisors of the jurisdiction and admins; an inspector, or a supervisor of another city, is refused."""
    year = datetime.now(UTC).year
    result = await gql(client, COVERAGE, {"j": CITY[where], "c": year}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in EDITS[where]:
        assert _code(result) == "FORBIDDEN" and result["data"] is None, result
    else:
        report = result["data"]["coverageReport"]
        assert report["jurisdiction"] == CITY[where] and report["cycleStart"] == f"{year}-01-01"
        assert sum(row["enterprises"] for row in report["classes"]) == 1  # the one enterprise of the city
        assert report["neverInspected"]["totalCount"] == 1 and len(report["neverInspected"]["edges"]) == 1


PLAN_CHECKS = {
    "Query.coverageReport": check_coverage_report,
    "Mutation.recordTaskResult": check_record_result, "Mutation.publishResults": check_publish_results,
    "Query.publishedResults": check_published_results, "Query.overdueResults": check_overdue,
    "Query.publicationCoverage": check_coverage,
    "Mutation.redraw": check_redraw, "Mutation.cancelPlan": check_cancel_plan,
    "Mutation.fileRedraw": check_file_redraw, "Mutation.completeRedraw": check_complete_redraw,
    "Mutation.createPlan": check_create_plan, "Mutation.updatePlan": check_update_plan,
    "Mutation.freezePlan": check_freeze_plan, "Mutation.drawPlan": check_draw_plan,
    "Mutation.publishPlan": check_publish_plan, "Query.plan": check_plan, "Query.draw": check_draw,
    "Query.planTasks": check_plan_tasks, "Query.plans": check_plans, "Query.myTasks": check_my_tasks,
    "Query.publishedPlans": check_published_plans, "Query.publishedDraw": check_published_draw,
}
