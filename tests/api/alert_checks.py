"""Authorization checks for the alert fields, used by the authorization matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from conftest import gql

CITY = {"xian": "610100", "baoji": "610300"}
SUPERVISE = {"prov_supervisor", "xian_supervisor", "admin"}
EDITS = {"xian": {"prov_supervisor", "xian_supervisor", "admin"}, "baoji": {"prov_supervisor", "admin"}}
STAFF_SCOPE = {"xian": {"prov_supervisor", "xian_supervisor", "xian_inspector", "author", "xian_author", "xian_lawyer",
                  "admin"},
               "baoji": {"prov_supervisor", "baoji_inspector", "author", "admin"}}
PAYLOAD = "alert { alertId level status } userErrors { code }"


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def alert_input(where: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"level": "orange", "jurisdictions": [CITY[where]], "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(days=2)).isoformat(), "source": "matrix"}


async def issue(client: httpx.AsyncClient, token: str | None, where: str) -> dict[str, Any]:
    return await gql(client, f"mutation($i: IssueAlertInput!) {{ issueAlert(input: $i) {{ {PAYLOAD} }} }}",
                     {"i": alert_input(where)}, token=token)


async def make_alert(client: httpx.AsyncClient, setup: str, where: str) -> str:
    result = await issue(client, setup, where)
    return str(result["data"]["issueAlert"]["alert"]["alertId"])


def expect_mutation(result: dict[str, Any], field: str, role: str, where: str, outside: str) -> None:
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN"
    elif role in EDITS[where]:
        assert result["data"][field]["userErrors"] == [], result
    else:
        assert [e["code"] for e in result["data"][field]["userErrors"]] == [outside], result


async def check_issue(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    expect_mutation(await issue(client, token, where), "issueAlert", role, where, "FORBIDDEN")


async def check_update(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    alert_id = await make_alert(client, setup, where)
    result = await gql(client, f"mutation($a: String!) {{ updateAlert(input: {{alertId: $a, version: 1, level: \"red\"}}) "
                       f"{{ {PAYLOAD} }} }}", {"a": alert_id}, token=token)
    expect_mutation(result, "updateAlert", role, where, "NOT_FOUND")


async def check_lift(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    alert_id = await make_alert(client, setup, where)
    result = await gql(client, f"mutation($a: String!) {{ liftAlert(input: {{alertId: $a, version: 1, reason: \"ok\"}}) "
                       f"{{ {PAYLOAD} }} }}", {"a": alert_id}, token=token)
    expect_mutation(result, "liftAlert", role, where, "NOT_FOUND")


async def check_alerts(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    alert_id = await make_alert(client, setup, where)
    result = await gql(client, "{ alerts { alertId } }", token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
        return
    listed = {a["alertId"] for a in result["data"]["alerts"]}
    assert (alert_id in listed) == (role in STAFF_SCOPE[where])


async def check_measures(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    alert_id = await make_alert(client, setup, where)
    result = await gql(client, "query($a: String!) { alertMeasures(alertId: $a, first: 10) { creditCode measure } }",
                       {"a": alert_id}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role in STAFF_SCOPE[where]:
        assert len(result["data"]["alertMeasures"]) == 1  # one seeded enterprise per city
    else:
        assert _code(result) == "NOT_FOUND"


async def check_level(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    result = await gql(client, "{ alertLevelFromForecast(dailyAqi: [210, 320, 310, 250]) }", token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    else:
        assert result["data"]["alertLevelFromForecast"] == "red"


async def check_preview(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    result = await gql(client, "query($i: IssueAlertInput!) { alertPreview(input: $i) { jurisdiction onSite } }",
                       {"i": alert_input(where)}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED"
    elif role in EDITS[where]:
        assert [row["jurisdiction"] for row in result["data"]["alertPreview"]] == [CITY[where]], result
    else:  # not a supervisor, or one of another city: nothing is computed
        assert _code(result) == "FORBIDDEN", result


ALERT_CHECKS = {
    "Query.alertPreview": check_preview,
    "Mutation.issueAlert": check_issue, "Mutation.updateAlert": check_update, "Mutation.liftAlert": check_lift,
    "Query.alerts": check_alerts, "Query.alertMeasures": check_measures, "Query.alertLevelFromForecast": check_level,
}
