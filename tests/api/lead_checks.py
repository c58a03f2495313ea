"""Authorization checks for leads (recorded from power alerts, converted, dismissed, listed), used by the matrix.

Each check makes a fresh power alert with the nonsite helpers (a day of its own per role and city), acts as the
role, and checks through the province supervisor (``setup``) what was written.
"""

from __future__ import annotations

from typing import Any

import httpx
from alert_checks import EDITS, SUPERVISE
from conftest import gql
from nonsite_checks import AUTHORS, NONSITE_STAFF, ROLES, _code, _gate, make_power_alert

LEAD_FIELDS = "lead { leadId status taskId version creditCode } replayed userErrors { code }"
CREATE = f"mutation($i: CreatePowerAlertLeadInput!) {{ createPowerAlertLead(input: $i) {{ {LEAD_FIELDS} }} }}"
CONVERT = f"mutation($i: ConvertLeadInput!) {{ convertLead(input: $i) {{ {LEAD_FIELDS} }} }}"
DISMISS = f"mutation($i: DismissLeadInput!) {{ dismissLead(input: $i) {{ {LEAD_FIELDS} }} }}"
LEADS = "query($c: String) { leads(creditCode: $c) { leadId status sourceId taskId } }"


async def _leads_of(client: httpx.AsyncClient, setup: str, alert_id: str) -> list[dict[str, Any]]:
    listed = (await gql(client, LEADS, {"c": None}, token=setup))["data"]["leads"]
    return [lead for lead in listed if lead["sourceId"] == alert_id]


async def _lead(client: httpx.AsyncClient, setup: str, role: str, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    alert = await make_power_alert(client, setup, role, where)
    made = (await gql(client, CREATE, {"i": {"alertId": alert["alertId"]}}, token=setup))["data"]
    payload = made["createPowerAlertLead"]
    assert payload["userErrors"] == [] and payload["lead"]["status"] == "open", payload
    return alert, payload["lead"]


async def check_leads(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    alert, lead = await _lead(client, setup, role, where)
    result = await gql(client, LEADS, {"c": alert["creditCode"]}, token=token)
    if not _gate(result, role, set(ROLES) - {"anonymous"}):
        return
    if role in AUTHORS:
        assert _code(result) == "FORBIDDEN" and result["data"] is None, result
        return
    listed = {item["leadId"] for item in result["data"]["leads"]}
    assert (lead["leadId"] in listed) == (role in NONSITE_STAFF[where]), (role, where, listed)


async def check_create_lead(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                            setup: str) -> None:
    alert = await make_power_alert(client, setup, role, where)
    result = await gql(client, CREATE, {"i": {"alertId": alert["alertId"], "summary": "夜间停运除尘"}}, token=token)
    written = False
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["createPowerAlertLead"]
        if role in EDITS[where]:
            assert payload["userErrors"] == [] and payload["lead"]["status"] == "open", payload
            assert payload["replayed"] is False, payload
            again = (await gql(client, CREATE, {"i": {"alertId": alert["alertId"]}}, token=token))["data"]
            assert again["createPowerAlertLead"]["replayed"] is True, again
            assert again["createPowerAlertLead"]["lead"]["leadId"] == payload["lead"]["leadId"], again
            written = True
        else:
            assert payload == {"lead": None, "replayed": False, "userErrors": [{"code": "NOT_FOUND"}]}, payload
    assert len(await _leads_of(client, setup, alert["alertId"])) == int(written), (role, where)


async def check_convert_lead(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                             setup: str) -> None:
    alert, lead = await _lead(client, setup, role, where)
    result = await gql(client, CONVERT, {"i": {"leadId": lead["leadId"], "version": lead["version"]}}, token=token)
    expected = "open"
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["convertLead"]
        if role in EDITS[where]:
            assert payload["userErrors"] == [] and payload["lead"]["status"] == "converted", payload
            assert payload["lead"]["taskId"], payload
            expected = "converted"
        else:
            assert payload == {"lead": None, "replayed": False, "userErrors": [{"code": "NOT_FOUND"}]}, payload
    stored = await _leads_of(client, setup, alert["alertId"])
    assert [s["status"] for s in stored] == [expected], (role, where, stored)
    assert (stored[0]["taskId"] is not None) == (expected == "converted"), stored


async def check_dismiss_lead(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                             setup: str) -> None:
    alert, lead = await _lead(client, setup, role, where)
    data = {"leadId": lead["leadId"], "version": lead["version"], "reason": "设备检修，已核实停产"}
    result = await gql(client, DISMISS, {"i": data}, token=token)
    expected = "open"
    if _gate(result, role, SUPERVISE):
        payload = result["data"]["dismissLead"]
        if role in EDITS[where]:
            assert payload["userErrors"] == [] and payload["lead"]["status"] == "dismissed", payload
            expected = "dismissed"
        else:
            assert payload == {"lead": None, "replayed": False, "userErrors": [{"code": "NOT_FOUND"}]}, payload
    stored = await _leads_of(client, setup, alert["alertId"])
    assert [s["status"] for s in stored] == [expected], (role, where, stored)


LEAD_CHECKS = {"Query.leads": check_leads, "Mutation.createPowerAlertLead": check_create_lead,
               "Mutation.convertLead": check_convert_lead, "Mutation.dismissLead": check_dismiss_lead}
