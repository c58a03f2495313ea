"""Authorization checks for the event, penalty and alert-task fields, used by the authorization matrix."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from alert_checks import EDITS, STAFF_SCOPE, SUPERVISE, make_alert
from conftest import gql

CITY = {"xian": "610100", "baoji": "610300"}
RECORD = """mutation($i: RecordEnterpriseEventInput!) { recordEnterpriseEvent(input: $i) {
  event { eventId creditCode kind } replayed userErrors { code } } }"""
EVENTS = "query($c: String!) { enterprise(creditCode: $c) { events { eventId } } }"
RECOMMEND = """query { recommendPenalty(input: {violationType: EXCEED_STANDARD, harm: 3, fault: 3, means: 3,
  object: 3, correction: 3}) { amountYuan level requiresConfirmation } }"""
TASKS = "query($a: String!) { alertTasks(alertId: $a) { creditCode kind status } }"
STAFF = """mutation($a: String!) { staffAlertTasks(input: {alertId: $a}) { staffed unstaffed seed
  userErrors { code } } }"""


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def seeded_code(client: httpx.AsyncClient, setup: str, where: str) -> str:
    """The credit code of the one enterprise the matrix seeds in the city."""
    result = await gql(client, "query($j: String) { enterprises(first: 1, filter: {jurisdiction: $j}) "
                       "{ edges { node { creditCode } } } }", {"j": CITY[where]}, token=setup)
    return str(result["data"]["enterprises"]["edges"][0]["node"]["creditCode"])


async def check_record(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    code = await seeded_code(client, setup, where)
    event_id = str(uuid.uuid4())
    result = await gql(client, RECORD, {"i": {"eventId": event_id, "creditCode": code, "kind": "INSPECTION",
                                              "occurredOn": datetime.now(UTC).date().isoformat()}}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        payload = result["data"]["recordEnterpriseEvent"]
        assert payload["userErrors"] == [] and payload["replayed"] is False, result
        assert payload["event"] == {"eventId": event_id, "creditCode": code, "kind": "INSPECTION"}
    else:
        payload = result["data"]["recordEnterpriseEvent"]
        assert payload["event"] is None and payload["userErrors"] == [{"code": "NOT_FOUND"}], result
    stored = (await gql(client, EVENTS, {"c": code}, token=setup))["data"]["enterprise"]["events"]
    assert ({"eventId": event_id} in stored) == (role in EDITS[where])  # written only when allowed


async def check_recommend(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                          setup: str) -> None:
    result = await gql(client, RECOMMEND, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    else:
        assert result["data"]["recommendPenalty"] == {"amountYuan": 550_000, "level": 3,
                                                      "requiresConfirmation": True}, result


async def check_alert_tasks(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                            setup: str) -> None:
    alert_id = await make_alert(client, setup, where)
    result = await gql(client, TASKS, {"a": alert_id}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role in STAFF_SCOPE[where]:
        # The seeded enterprise (ungraded) has a 20 % cut under an orange alert: one task to verify it.
        assert result["data"]["alertTasks"] == [{"creditCode": await seeded_code(client, setup, where),
                                                 "kind": "alert_verification", "status": "UNSTAFFED"}], result
    else:
        assert _code(result) == "NOT_FOUND" and result["data"] is None


async def check_staff_alert_tasks(client: httpx.AsyncClient, token: str | None, role: str, where: str,
                                  setup: str) -> None:
    alert_id = await make_alert(client, setup, where)
    result = await gql(client, STAFF, {"a": alert_id}, token=token)
    tasks = (await gql(client, TASKS, {"a": alert_id}, token=setup))["data"]["alertTasks"]
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        payload = result["data"]["staffAlertTasks"]
        assert payload["userErrors"] == [] and len(payload["seed"]) == 64, result
        # Staffed when the matrix imported inspectors for the city, otherwise reported with the reason.
        assert payload["staffed"] + len(payload["unstaffed"]) == 1, result
        assert [t["status"] for t in tasks] == ["ASSIGNED" if payload["staffed"] else "UNSTAFFED"]
        return
    else:
        payload = result["data"]["staffAlertTasks"]
        assert payload == {"staffed": 0, "unstaffed": {}, "seed": None, "userErrors": [{"code": "NOT_FOUND"}]}
    assert [t["status"] for t in tasks] == ["UNSTAFFED"]  # a refused call staffs nothing


EVENT_CHECKS = {
    "Mutation.recordEnterpriseEvent": check_record, "Query.recommendPenalty": check_recommend,
    "Query.alertTasks": check_alert_tasks, "Mutation.staffAlertTasks": check_staff_alert_tasks,
}
