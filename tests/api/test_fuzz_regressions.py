"""Defects the schema fuzz (tests/api/test_fuzz.py, bench/fuzz.py) found, each pinned by its smallest case."""

from __future__ import annotations

import httpx
import pytest
from conftest import gql, token_for

SIMULATE = """mutation($i: SimulatePolicyVersionInput!) {
  simulatePolicyVersion(input: $i) { simulation { summary } userErrors { field code } } }"""
VERSION = "heavy_pollution_measures:610000:v1"


# Found by bench/fuzz.py --seed 1 as INTERNAL_ERROR ("'int' object is not iterable"): `assume` is a JSON
# value, and the resolver turned it into a dict with dict(), which fails on numbers and strings and reads
# a list of pairs as if it were an object.
@pytest.mark.parametrize("assume", [5, "orange", True, [["alert_level", "orange"]], [1, 2]])
async def test_simulate_refuses_assumptions_that_are_not_an_object(
        client: httpx.AsyncClient, users: dict[str, str], assume: object) -> None:
    author = await token_for(client, "author")
    result = await gql(client, SIMULATE, {"i": {"versionId": VERSION, "assume": assume}}, token=author)
    assert "errors" not in result, result
    assert result["data"]["simulatePolicyVersion"] == {
        "simulation": None, "userErrors": [{"field": "assume", "code": "INVALID_VALUE"}]}


async def test_simulate_still_takes_an_object_of_assumptions(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    author = await token_for(client, "author")
    result = await gql(client, SIMULATE, {"i": {"versionId": VERSION, "assume": {"alert_level": "orange"}}},
                       token=author)
    assert "errors" not in result, result
    payload = result["data"]["simulatePolicyVersion"]
    assert payload["userErrors"] == [] and payload["simulation"]["summary"]
