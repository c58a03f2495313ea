"""Enterprise events on the real server: decisions follow them, idempotent replay, refusals, decisions by date."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import enterprise_row, gql, token_for
from pymongo.errors import OperationFailure

from core.accounts.models import Role, Viewer
from core.db import Database
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.events.service import EventService, history_for
from core.policies.service import PolicyService
from core.registry.importing import EnterpriseImporter
from core.registry.sources import SourceRow
from rules.policy_engine import RulesEngine

TODAY = datetime.now(UTC).date()
SUPERVISOR = Viewer(username="chief", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))
XIAN_SUPERVISOR = Viewer(username="xian", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610100",))
ADMIN = Viewer(username="root", roles=frozenset({Role.ADMIN}), jurisdictions=("610000",))
INSPECTOR = Viewer(username="insp", roles=frozenset({Role.INSPECTOR}), jurisdictions=("610000",))
AUTHOR = Viewer(username="alice", roles=frozenset({Role.RULE_AUTHOR}), jurisdictions=("610000",))
# Green, monitored, permitted, not an excluded sector: general class and on the positive list.
CLEAN = {"credit_tier": "green", "online_monitoring": "true", "permit_number": "P-1", "industry_code": "3971",
         "permit_valid_from": "2020-01-01", "permit_valid_to": "2099-01-01"}
XIAN = enterprise_row("91610100ME0000001", **CLEAN)
BAOJI = enterprise_row("91610300ME0000002", jurisdiction="610300", **CLEAN)
IMPORT = """mutation($c: String!) { importEnterprises(input: {format: CSV, content: $c}) {
  result { inserted } userErrors { code } } }"""
RECORD = """mutation($i: RecordEnterpriseEventInput!) { recordEnterpriseEvent(input: $i) {
  event { eventId creditCode kind occurredOn recordedBy recordedAt } replayed decisionsChanged
  userErrors { field code } } }"""
REPLAY_BUG = ("BUG core/events/repository.py EventRepository.insert (lines 38-42): the DuplicateKeyError of a replay "
              "aborts the transaction opened in core/events/service.py:47, so the find_one on the same session fails "
              "(NoSuchTransaction / WriteConflict) instead of returning the stored event")
DOSSIER = """query($c: String!) { enterprise(creditCode: $c) { decisions { kind outputs rules }
  events { eventId kind occurredOn } } }"""


def csv_of(*rows: dict[str, str]) -> str:
    return ",".join(rows[0]) + "\n" + "".join(",".join(r.values()) + "\n" for r in rows)


def data(kind: str = "penalty", *, days_ago: int = 30, code: str = XIAN["credit_code"], **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "credit_code": code, "kind": kind,
            "occurred_on": TODAY - timedelta(days=days_ago), "reference": "陕环罚〔2026〕1号", **extra}


@pytest.fixture
async def token(client: httpx.AsyncClient, users: dict[str, str]) -> str:
    token = await token_for(client, "prov_supervisor")
    imported = await gql(client, IMPORT, {"c": csv_of(XIAN, BAOJI)}, token=token)
    assert imported["data"]["importEnterprises"]["result"]["inserted"] == 2
    return token


@pytest.fixture
async def service(database: Database) -> EventService:
    await PolicyService(database, engine=RulesEngine()).install_default_packs()
    report = await EnterpriseImporter(database, actor="seed").run(
        (SourceRow(i, dict(r)) for i, r in enumerate([XIAN, BAOJI], 1)), rescan=None)
    assert report.inserted == 2
    return EventService(database)


async def record(service: EventService, viewer: Viewer, payload: dict[str, Any], request_id: str = "r") -> Any:
    try:
        return await service.record(viewer, payload, request_id=request_id)
    except OperationFailure as exc:
        raise AssertionError(REPLAY_BUG) from exc


def near(a: str, b: str) -> bool:
    return abs(datetime.fromisoformat(a) - datetime.fromisoformat(b)) < timedelta(milliseconds=1)


async def decisions(client: httpx.AsyncClient, token: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found = (await gql(client, DOSSIER, {"c": XIAN["credit_code"]}, token=token))["data"]["enterprise"]
    return {d["kind"]: (d["outputs"], d["rules"]) for d in found["decisions"]}, found["events"]


async def test_a_penalty_makes_the_enterprise_special_and_replay_changes_nothing(
        client: httpx.AsyncClient, database: Database, token: str) -> None:
    before, events = await decisions(client, token)
    assert before == {"supervision_class": ({"class": "general"}, ["general_otherwise"]),
                      "positive_list": ({"eligible": True}, ["pl_eligible"])} and events == []
    event_id = str(uuid.uuid4())
    occurred = (TODAY - timedelta(days=30)).isoformat()
    mutation = {"eventId": event_id, "creditCode": XIAN["credit_code"].lower(), "kind": "PENALTY",
              "occurredOn": occurred, "reference": "陕环罚〔2026〕1号", "description": "超标排放"}
    first = (await gql(client, RECORD, {"i": mutation}, token=token))["data"]["recordEnterpriseEvent"]
    assert first["userErrors"] == [] and first["replayed"] is False and first["decisionsChanged"] == 2
    assert first["event"]["eventId"] == event_id and first["event"]["creditCode"] == XIAN["credit_code"]
    assert first["event"]["recordedBy"] == "prov_supervisor"

    after, events = await decisions(client, token)
    assert after == {"supervision_class": ({"class": "special"}, ["special_penalised"]),
                     "positive_list": ({"eligible": False}, ["pl_penalised"])}
    assert events == [{"eventId": event_id, "kind": "PENALTY", "occurredOn": occurred}]
    log = await database["decision_changes"].find({"credit_code": XIAN["credit_code"]}).sort("at", 1).to_list()
    assert [(e["kind"], e["before"], e["after"], e["trigger"]) for e in log][-2:] == [
        ("supervision_class", {"class": "general"}, {"class": "special"}, f"event:penalty:{event_id}"),
        ("positive_list", {"eligible": True}, {"eligible": False}, f"event:penalty:{event_id}")]

    replay = await gql(client, RECORD, {"i": mutation}, token=token)
    assert not replay.get("errors"), (REPLAY_BUG, replay)
    again = replay["data"]["recordEnterpriseEvent"]
    assert again["userErrors"] == [] and again["replayed"] is True and again["decisionsChanged"] == 0
    assert {**again["event"], "recordedAt": None} == {**first["event"], "recordedAt": None}  # the stored event
    assert near(again["event"]["recordedAt"], first["event"]["recordedAt"])  # stored to the millisecond
    assert await database["enterprise_events"].count_documents({}) == 1
    assert await database["decision_changes"].count_documents({"credit_code": XIAN["credit_code"]}) == len(log)
    assert await database["audit"].count_documents({"action": "recordEnterpriseEvent"}) == 1
    assert (await decisions(client, token))[0] == after


async def test_past_decisions_use_the_events_known_on_their_day(database: Database, service: EventService) -> None:
    code = XIAN["credit_code"]
    await record(service, SUPERVISOR, data(days_ago=30))
    policies = PolicyService(database, engine=RulesEngine())
    now = await policies.explain(SUPERVISOR, credit_code=code, policy_id="supervision_class:610000", at=TODAY)
    then = await policies.explain(SUPERVISOR, credit_code=code, policy_id="supervision_class:610000",
                                  at=TODAY - timedelta(days=31))
    assert now is not None and then is not None
    assert now.outputs == {"class": "special"} and now.facts["penalties_12m"] == 1
    assert then.outputs == {"class": "general"} and then.facts["penalties_12m"] == 0
    listed = await policies.explain(SUPERVISOR, credit_code=code, policy_id="positive_list:610000",
                                    at=TODAY - timedelta(days=31))
    assert listed is not None and listed.outputs == {"eligible": True}
    a_year_on = await policies.explain(SUPERVISOR, credit_code=code, policy_id="supervision_class:610000",
                                       at=TODAY + timedelta(days=400))  # the penalty has left the 12-month window
    assert a_year_on is not None and a_year_on.outputs == {"class": "general"}


async def test_a_different_payload_under_the_same_id_is_refused(database: Database, service: EventService) -> None:
    original = data()
    stored, created = await record(service, SUPERVISOR, original)
    assert created
    replayed, created = await record(service, ADMIN, dict(original))
    assert not created  # the same payload by someone else is still a replay of the stored event
    assert replayed.model_dump(exclude={"recorded_at"}) == stored.model_dump(exclude={"recorded_at"})
    assert abs(replayed.recorded_at - stored.recorded_at) < timedelta(milliseconds=1)
    for change in ({"description": "另一个"}, {"kind": "case"}, {"occurred_on": TODAY - timedelta(days=31)}):
        with pytest.raises(Conflict) as caught:
            await record(service, SUPERVISOR, {**original, **change})
        assert caught.value.code == "ID_CONFLICT" and caught.value.field == "id"
    assert await database["enterprise_events"].count_documents({}) == 1
    doc = await database["enterprise_events"].find_one({"_id": original["id"]})
    assert doc["kind"] == "penalty" and doc["description"] == ""


async def test_concurrent_replays_store_one_event(database: Database, service: EventService) -> None:
    original = data()
    results = await asyncio.gather(*(service.record(SUPERVISOR, dict(original), request_id=f"r{i}")
                                     for i in range(4)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], (REPLAY_BUG, results)
    assert sorted(created for _event, created in results) == [False, False, False, True]  # type: ignore[misc]
    assert await database["enterprise_events"].count_documents({}) == 1
    assert await database["audit"].count_documents({"action": "recordEnterpriseEvent"}) == 1


@pytest.mark.parametrize(("viewer", "payload", "error", "code"), [
    (INSPECTOR, data(), PermissionDenied, "FORBIDDEN"),
    (AUTHOR, data(), PermissionDenied, "FORBIDDEN"),
    (XIAN_SUPERVISOR, data(code=BAOJI["credit_code"]), NotFound, "NOT_FOUND"),  # outside the jurisdiction
    (SUPERVISOR, data(code="91610100ME00000099"), NotFound, "NOT_FOUND"),  # no such enterprise
    (SUPERVISOR, data(days_ago=-2), ValidationFailed, "IN_FUTURE"),
    (SUPERVISOR, data(ends_on=TODAY - timedelta(days=31)), ValidationFailed, "INVALID_VALUE"),  # ends before it began
    (SUPERVISOR, data(kind="fine"), ValidationFailed, "INVALID_VALUE"),
    (SUPERVISOR, data(id="not-a-uuid"), ValidationFailed, "INVALID_VALUE"),
])
async def test_refusals_write_nothing(database: Database, service: EventService, viewer: Viewer,
                                      payload: dict[str, Any], error: type[Exception], code: str) -> None:
    with pytest.raises(error) as caught:
        await service.record(viewer, payload, request_id="r")
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert await database["enterprise_events"].count_documents({}) == 0
    assert await database["audit"].count_documents({"action": "recordEnterpriseEvent"}) == 0


async def test_own_jurisdiction_supervisor_records_and_future_events_are_refused_over_graphql(
        client: httpx.AsyncClient, token: str) -> None:
    xian = await token_for(client, "xian_supervisor")
    base = {"creditCode": XIAN["credit_code"], "kind": "CASE", "occurredOn": TODAY.isoformat()}
    done = (await gql(client, RECORD, {"i": {**base, "eventId": str(uuid.uuid4())}},
                      token=xian))["data"]["recordEnterpriseEvent"]
    assert done["userErrors"] == [] and done["decisionsChanged"] == 1  # a case removes positive-list eligibility
    future = {**base, "eventId": str(uuid.uuid4()), "occurredOn": (TODAY + timedelta(days=2)).isoformat()}
    refused = (await gql(client, RECORD, {"i": future}, token=xian))["data"]["recordEnterpriseEvent"]
    assert refused == {"event": None, "replayed": False, "decisionsChanged": 0,
                       "userErrors": [{"field": "occurredOn", "code": "IN_FUTURE"}]}
    outside = {**base, "eventId": str(uuid.uuid4()), "creditCode": BAOJI["credit_code"]}
    hidden = (await gql(client, RECORD, {"i": outside}, token=xian))["data"]["recordEnterpriseEvent"]
    assert hidden["userErrors"] == [{"field": "creditCode", "code": "NOT_FOUND"}]


async def test_a_long_open_supervised_case_still_counts(database: Database, service: EventService) -> None:
    # A 挂牌督办 listing opened four years ago and never closed is still open today, so the
    # enterprise is under supervised-case listing (DOMAIN rule 7). The history window must not drop it.
    await record(service, SUPERVISOR, data("supervised_case", days_ago=4 * 365))
    history = await history_for(database, [XIAN["credit_code"]], TODAY)
    assert history[XIAN["credit_code"]]["supervised_case"] is True, (
        "BUG core/events/repository.py EventRepository.windows: events older than LOOKBACK_DAYS are dropped, "
        "so an open supervised case listed more than three years ago is forgotten")
