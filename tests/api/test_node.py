"""Every Node type resolves through node(id) for those who may see it, and for nobody else."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from alert_checks import EDITS, STAFF_SCOPE, make_alert
from case_checks import CASES, COVERS, seed_case_matrix
from conftest import USERS, add_matters, enterprise_row, gql, today, token_for
from event_checks import seeded_code
from field_checks import MATTER, seed_field_matrix
from graphql import GraphQLObjectType
from nonsite_checks import NONSITE_STAFF, flight_input, make_complaint, make_power_alert, seed_nonsite_matrix
from plan_checks import make_plan

from api.graphql.nodes import NODE_TYPES
from api.graphql.permissions import ACCESS
from api.graphql.relay import from_global_id, to_global_id
from api.graphql.schema import build_schema
from core.config import Settings
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
    await add_matters(database, "M", demo=False)
    supervisor = await token_for(client, "xian_supervisor")
    year = "2099"
    created = await gql(client, "mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { id planId } } }",
                        {"i": {"name": "p", "jurisdiction": "610100", "matters": ["M"], "periodStart": f"{year}-01-01",
                               "periodEnd": f"{year}-03-31", "ratios": [{"stratum": "general", "ratio": 1.0}]}},
                        token=supervisor)
    plan = created["data"]["createPlan"]["plan"]
    await gql(client, "mutation($p: String!) { freezePlan(input: {planId: $p}) { userErrors { code } } }",
              {"p": plan["planId"]}, token=supervisor)
    await gql(client, "mutation($p: String!) { drawPlan(input: {planId: $p, publicValue: \"1 2 3 4 5\"}) { userErrors { code } } }",
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


def test_every_node_type_has_a_scoped_read() -> None:
    schema = build_schema(Settings())._schema
    implementing = {t.name for t in schema.type_map.values()
                    if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)}
    assert implementing == set(NODE_TYPES)
    access_rules = {entry.access for entry in NODE_TYPES.values()}
    assert access_rules <= set(ACCESS)


# Who may see an object of each type in Xi'an / Baoji through node(id): the same roles and scope as its own field.
STAFF = {"prov_supervisor", "xian_supervisor", "xian_inspector", "baoji_inspector", "author", "xian_author",
         "xian_lawyer", "admin"}
VISIBLE: dict[str, dict[str, set[str]]] = {
    "Enterprise": STAFF_SCOPE, "Alert": STAFF_SCOPE, "EnterpriseEvent": STAFF_SCOPE,
    "Inspector": EDITS, "Plan": EDITS, "Draw": EDITS, "SyncConflict": EDITS, "Complaint": EDITS,
    "HotspotAlert": EDITS,
    "Task": {"xian": EDITS["xian"] | {"xian_inspector"}, "baoji": EDITS["baoji"]},  # and its assigned inspector
    "Inspection": {"xian": EDITS["xian"] | {"xian_inspector"}, "baoji": EDITS["baoji"]},
    "PowerAlert": NONSITE_STAFF, "Lead": NONSITE_STAFF, "DroneFlight": NONSITE_STAFF,
    "Case": COVERS,
    "Matter": {"province": {"anonymous", *STAFF}},  # the published item list
    "Checklist": {"province": STAFF},
    "Policy": {"province": {"prov_supervisor", "author", "admin"}},  # readers covering the provincial policy
    "PolicyVersion": {"province": {"prov_supervisor", "author", "admin"}},
    "PublishedDraw": {"xian": {"anonymous", *STAFF}},  # a Draw once published
}
CITIES = {"xian": "610100", "baoji": "610300"}


async def _first(client: httpx.AsyncClient, setup: str, query: str, path: list[str],
                 variables: dict[str, Any] | None = None) -> Any:
    found: Any = (await gql(client, query, variables, token=setup))["data"]
    for step in path:
        found = found[step][0] if isinstance(found[step], list) else found[step]
    return found


async def _city_objects(client: httpx.AsyncClient, setup: str, where: str) -> dict[str, str]:
    """The global id of one object of each per-city type, as its own field (or its mutation's payload) gives it."""
    city, code = CITIES[where], await seeded_code(client, setup, where)
    plans = (await gql(client, "{ plans { id planId jurisdiction } }", token=setup))["data"]["plans"]
    plan = next(p for p in plans if p["jurisdiction"] == city)
    task = await _first(client, setup, "query($p: String!) { planTasks(planId: $p) { id inspection { id } } }",
                        ["planTasks"], {"p": plan["planId"]})
    conflicts = (await gql(client, "{ syncConflicts { id by } }", token=setup))["data"]["syncConflicts"]
    alert_id = await make_alert(client, setup, where)
    alerts = (await gql(client, "{ alerts { id alertId } }", token=setup))["data"]["alerts"]
    event = await gql(client, "mutation($i: RecordEnterpriseEventInput!) { recordEnterpriseEvent(input: $i) "
                      "{ event { id } } }", {"i": {"eventId": str(uuid.uuid4()), "creditCode": code,
                                                   "kind": "INSPECTION", "occurredOn": today().isoformat()}},
                      token=setup)
    power = await make_power_alert(client, setup, "prov_supervisor", where)
    powers = (await gql(client, "{ powerAlerts(openOnly: false) { id alertId } }", token=setup))["data"]["powerAlerts"]
    lead = await gql(client, "mutation($a: String!) { createPowerAlertLead(input: {alertId: $a}) { lead { id } } }",
                     {"a": power["alertId"]}, token=setup)
    complaint = await make_complaint(client, setup, where)
    complaints = (await gql(client, "{ complaints { id complaintId } }", token=setup))["data"]["complaints"]
    hotspot = await gql(client, "mutation($i: HotspotInput!) { recordHotspotAlert(input: $i) { record { id } } }",
                        {"i": {"cellId": f"N_{where}", "date": today().isoformat(), "pm25": 160.0,
                               "jurisdiction": city}}, token=setup)
    flight = await gql(client, "mutation($i: DroneFlightInput!) { recordDroneFlight(input: $i) { record { id } } }",
                       {"i": flight_input(where)}, token=setup)
    return {
        "Enterprise": await _first(client, setup, "query($c: String!) { enterprise(creditCode: $c) { id } }",
                                   ["enterprise", "id"], {"c": code}),
        "Inspector": await _first(client, setup, "query($j: String) { inspectors(first: 1, jurisdiction: $j) "
                                  "{ edges { node { id } } } }", ["inspectors", "edges", "node", "id"], {"j": city}),
        "Plan": plan["id"], "Task": task["id"], "Inspection": task["inspection"]["id"],
        "Draw": await _first(client, setup, "query($p: String!) { draw(planId: $p) { id } }", ["draw", "id"],
                             {"p": plan["planId"]}),
        "SyncConflict": next(c["id"] for c in conflicts if c["by"] == f"seed-{where}"),
        "Alert": next(a["id"] for a in alerts if a["alertId"] == alert_id),
        "EnterpriseEvent": event["data"]["recordEnterpriseEvent"]["event"]["id"],
        "PowerAlert": next(a["id"] for a in powers if a["alertId"] == power["alertId"]),
        "Lead": lead["data"]["createPowerAlertLead"]["lead"]["id"],
        "Complaint": next(c["id"] for c in complaints if c["complaintId"] == complaint["complaintId"]),
        "HotspotAlert": hotspot["data"]["recordHotspotAlert"]["record"]["id"],
        "DroneFlight": flight["data"]["recordDroneFlight"]["record"]["id"],
        "Case": await _first(client, setup, "query($c: String!) { case(caseId: $c) { id } }", ["case", "id"],
                             {"c": CASES[where]}),
    }


async def _province_objects(client: httpx.AsyncClient, setup: str) -> dict[str, str]:
    plan_id = await make_plan(client, setup, "xian", until="drawn")
    published = await gql(client, "mutation($p: String!) { publishPlan(input: {planId: $p}) { userErrors { code } } }",
                          {"p": plan_id}, token=setup)
    assert published["data"]["publishPlan"]["userErrors"] == [], published
    return {
        "Matter": await _first(client, setup, "{ matters { id } }", ["matters", "id"]),
        "Checklist": await _first(client, setup, "query($m: String!) { checklist(matter: $m) { id } }",
                                  ["checklist", "id"], {"m": MATTER}),
        "Policy": await _first(client, setup, "{ policy(policyId: \"supervision_class:610000\") { id } }",
                               ["policy", "id"]),
        "PolicyVersion": await _first(client, setup, "{ policy(policyId: \"supervision_class:610000\") "
                                      "{ versions { id } } }", ["policy", "versions", "id"]),
        "PublishedDraw": await _first(client, None, "query($p: String!) { publishedDraw(planId: $p) "
                                      "{ draw { id } } }", ["publishedDraw", "draw", "id"], {"p": plan_id}),
    }


async def test_node_matrix_every_type(client: httpx.AsyncClient, users: dict[str, str], settings: Settings,
                                      database: Database, tmp_path: Path) -> None:
    """Each Node type × role × city: node(id) gives the object to those who may read it through its own field, and
    null to everyone else (anonymous included); the id round-trips."""
    tokens: dict[str, str | None] = {"anonymous": None, **{name: await token_for(client, name) for name in USERS}}
    setup = tokens["prov_supervisor"]
    assert setup is not None
    await seed_field_matrix(client, settings, database, tmp_path, setup)
    await seed_nonsite_matrix(database, tmp_path)
    await seed_case_matrix(database, tmp_path, {where: await seeded_code(client, setup, where) for where in CITIES})
    objects = {(type_name, where): global_id for where in CITIES
               for type_name, global_id in (await _city_objects(client, setup, where)).items()}
    objects |= {(type_name, "province" if type_name != "PublishedDraw" else "xian"): global_id
                for type_name, global_id in (await _province_objects(client, setup)).items()}
    assert {name for name, _ in objects} == set(NODE_TYPES) | {"PublishedDraw"}
    for (type_name, where), global_id in sorted(objects.items()):
        expected_type = "Draw" if type_name == "PublishedDraw" else type_name
        assert from_global_id(global_id)[0] == expected_type
        for role, token in tokens.items():
            node = (await gql(client, QUERY, {"id": global_id}, token=token))["data"]["node"]
            visible = role in VISIBLE[type_name][where]
            assert (node is not None) == visible, (type_name, where, role)
            if node:
                assert node == {"id": global_id, "__typename": expected_type}
