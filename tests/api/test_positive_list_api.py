"""Positive-list membership over HTTP: GraphQL admission and removal, the public list and its history."""

from __future__ import annotations

import csv
import io

import httpx
from conftest import gql, token_for
from positive_list_checks import ADMIT, MEMBERS, REMOVE, eligible_enterprise


async def test_the_public_page_shows_the_list_and_its_history(client: httpx.AsyncClient,
                                                             users: dict[str, str]) -> None:
    token = await token_for(client, "xian_supervisor")
    setup = await token_for(client, "prov_supervisor")
    staying, leaving = (await eligible_enterprise(client, setup, "xian"), await eligible_enterprise(client, setup,
                                                                                                    "xian"))
    admitted = await gql(client, ADMIT, {"i": {"creditCodes": [staying, leaving], "batchName": "=HYPERLINK(1)",
                                               "batchNumber": "市环函〔2026〕12号", "validFrom": "2026-01-01"}},
                         token=token)
    assert admitted["data"]["admitToPositiveList"]["userErrors"] == []
    removed = await gql(client, REMOVE, {"i": {"creditCode": leaving, "reason": "群众举报属实"}}, token=token)
    assert removed["data"]["removeFromPositiveList"]["change"]["action"] == "REMOVED"
    members = await gql(client, MEMBERS, {"j": "610100"}, token=token)
    assert [e["node"]["creditCode"] for e in members["data"]["positiveListMembers"]["edges"]] == [staying]

    page = await client.get("/public/positive-list")  # no login
    assert page.status_code == 200 and staying in page.text and "群众举报属实" in page.text
    listed = (await client.get("/public/positive-list/members.json?jurisdiction=610100")).json()["members"]
    assert [(m["credit_code"], m["batch_number"], m["valid_from"]) for m in listed] == [
        (staying, "市环函〔2026〕12号", "2026-01-01")]
    history = (await client.get("/public/positive-list/history.json")).json()["history"]
    assert [(h["action"], h["cause"], h["credit_code"]) for h in history][:1] == [("removed", "decision", leaving)]
    assert all("actor" not in h and "request_id" not in h for h in history)  # staff accounts are not published
    text = (await client.get("/public/positive-list/members.csv")).text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["credit_code"] == staying and not rows[0]["batch_name"].startswith("=")  # formula-safe
    assert (await client.get("/public/positive-list/members.csv?jurisdiction=999999")).status_code == 404
    assert (await client.get("/public/positive-list/other.csv")).status_code == 404
