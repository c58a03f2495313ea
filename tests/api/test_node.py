"""Every Node type resolves through node(id) for those who may see it, and for nobody else."""

from __future__ import annotations

from pathlib import Path

import httpx
from conftest import enterprise_row, gql, token_for

from api.graphql.relay import to_global_id
from core.db import Database
from core.registry.importing import import_enterprises, import_inspectors

QUERY = "query($id: ID!) { node(id: $id) { id __typename } }"


async def test_node_resolves_each_type_within_scope(client: httpx.AsyncClient, users: dict[str, str],
                                                   database: Database, tmp_path: Path) -> None:
    rows = tmp_path / "e.csv"
    row = enterprise_row("91610100MF0000001")
    rows.write_text(",".join(row) + "\n" + ",".join(row.values()) + "\n", encoding="utf-8")
    assert (await import_enterprises(database, rows, actor="t")).inserted == 1
    staff = tmp_path / "i.csv"
    staff.write_text("staff_id,name,certificate_number,certificate_expires,jurisdictions\n"
                     "SX-610100-0001,甲,C1,2099-01-01,610100\nSX-610100-0002,乙,C2,2099-01-01,610100\n",
                     encoding="utf-8")
    assert (await import_inspectors(database, staff)).inserted == 2
    supervisor = await token_for(client, "xian_supervisor")
    year = "2099"
    created = await gql(client, "mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { id planId } } }",
                        {"i": {"name": "p", "jurisdiction": "610100", "matters": ["M"], "periodStart": f"{year}-01-01",
                               "periodEnd": f"{year}-03-31", "ratios": [{"stratum": "general", "ratio": 1.0}]}},
                        token=supervisor)
    plan = created["data"]["createPlan"]["plan"]
    await gql(client, "mutation($p: String!) { freezePlan(input: {planId: $p}) { userErrors { code } } }",
              {"p": plan["planId"]}, token=supervisor)
    await gql(client, "mutation($p: String!) { drawPlan(input: {planId: $p}) { userErrors { code } } }",
              {"p": plan["planId"]}, token=supervisor)
    task = (await gql(client, "query($p: String!) { planTasks(planId: $p) { id } }", {"p": plan["planId"]},
                      token=supervisor))["data"]["planTasks"][0]
    ids = {"Enterprise": to_global_id("Enterprise", row["credit_code"]), "Plan": plan["id"], "Task": task["id"],
           "Inspector": to_global_id("Inspector", "SX-610100-0001")}
    expected = {  # who sees what: supervisors of Xi'an everything; the assigned inspector its task
        "xian_supervisor": {"Enterprise", "Plan", "Task", "Inspector"},
        "xian_inspector": {"Enterprise", "Task"},
        "baoji_inspector": set(),
    }
    for user, visible in expected.items():
        token = await token_for(client, user)
        for type_name, global_id in ids.items():
            node = (await gql(client, QUERY, {"id": global_id}, token=token))["data"]["node"]
            assert (node is not None) == (type_name in visible), (user, type_name)
            if node:
                assert node["__typename"] == type_name and node["id"] == global_id
    anonymous = await gql(client, QUERY, {"id": ids["Task"]})
    assert anonymous["data"]["node"] is None
    garbage = await gql(client, QUERY, {"id": "not-a-global-id"}, token=supervisor)
    assert garbage["data"]["node"] is None
