"""Introspection for codegen: the served schema is docs/schema.graphql, and only hostile introspection is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from graphql import (
    GraphQLSchema,
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)
from graphql.utilities.print_schema import print_type

from api.app import create_app
from core.config import Settings
from core.db import Database

SDL = Path(__file__).resolve().parents[2] / "docs" / "schema.graphql"
HEADERS = {"accept": "application/graphql-response+json"}
# Everything graphql-core's introspection query can ask for, as codegen tools (graphql-codegen, Apollo Kotlin) do.
FULL = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                               schema_description=True, input_value_deprecation=True, one_of=True)


def _types(schema: GraphQLSchema) -> dict[str, str]:
    """Each named type printed alone, fields in their declared order (type order is not part of the contract)."""
    return {name: print_type(t) for name, t in schema.type_map.items() if not name.startswith("__")}


async def _post(http: httpx.AsyncClient, query: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers=HEADERS)


def _codes(response: httpx.Response) -> set[str]:
    return {e["extensions"]["code"] for e in response.json().get("errors", [])}


async def test_served_schema_is_the_checked_in_sdl(client: httpx.AsyncClient) -> None:
    response = await _post(client, FULL)  # anonymous: introspection needs no login
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    served = build_client_schema(body["data"])
    checked_in = build_schema(SDL.read_text(encoding="utf-8"))  # the SDL parses with graphql-core
    assert print_schema(lexicographic_sort_schema(served)) == print_schema(lexicographic_sort_schema(checked_in))
    assert _types(served) == _types(checked_in)
    assert served.get_type("Node") is not None and "syncPush" in served.mutation_type.fields  # type: ignore[union-attr]


async def test_standard_introspection_passes_the_tightest_limits(database: Database) -> None:
    """The standard query nests 14 levels and has hundreds of fields: neither counts against the query limits."""
    app = create_app(Settings(query_max_depth=2, query_max_nodes=10, query_max_aliases=1), database=database)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://test"
    ) as http:
        response = await _post(http, FULL)
        deeper = await _post(http, get_introspection_query(type_depth=15))  # 20 levels: the allowance
        ordinary = await _post(http, "{ enterprises(first: 1) { edges { node { name } } } }")
    assert response.status_code == 200 and "errors" not in response.json()
    assert deeper.status_code == 200 and "errors" not in deeper.json()
    assert ordinary.status_code == 400 and _codes(ordinary) == {"QUERY_TOO_DEEP"}  # the limits still hold


def _of_type(levels: int) -> str:
    return '{ __type(name: "Query") { ' + "ofType { " * levels + "name" + " }" * levels + " } }"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (_of_type(20), "QUERY_TOO_DEEP"),  # one level over the allowance
        (_of_type(150), "QUERY_TOO_DEEP"),
        # lists of types inside lists of types multiply: graphql-core's MaxIntrospectionDepthRule
        ("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
         "GRAPHQL_VALIDATION_FAILED"),
        # every alias is counted, introspection and __typename included
        ("{ " + " ".join(f"s{i}: __schema {{ queryType {{ name }} }}" for i in range(16)) + " }",
         "TOO_MANY_ALIASES"),
        ("{ viewer { " + " ".join(f"t{i}: __typename" for i in range(16)) + " } }", "TOO_MANY_ALIASES"),
        # a fragment cycle through introspection is still refused by graphql-core's rule
        ('{ __type(name: "Query") { ...A } } fragment A on __Type { ofType { ...B } } '
         "fragment B on __Type { ofType { ...A } }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_hostile_introspection_is_refused(client: httpx.AsyncClient, query: str, code: str) -> None:
    response = await _post(client, query)
    assert response.status_code == 400, response.text
    assert code in _codes(response)
    assert "data" not in response.json()


async def test_introspection_just_within_the_allowance_runs(client: httpx.AsyncClient) -> None:
    response = await _post(client, _of_type(19))  # __type + 19 × ofType + name: 20 levels below the root
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__type": {"ofType": None}}}
