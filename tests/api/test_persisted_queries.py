"""Automatic persisted queries, spoken as Apollo's clients speak them (hash first, the document only when asked).

The Python ``gql`` client is not installed in this environment, so ``ApolloLink`` below follows Apollo Client's
persisted-query link step by step over httpx: send ``extensions.persistedQuery`` with the SHA-256 and no query
(by GET when ``use_get``), and on ``PersistedQueryNotFound`` send the query with the hash by POST.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from conftest import token_for

from api.app import create_app
from core.config import Mode, Settings
from core.db import Database
from core.persisted.service import PersistedQueryService

GRAPHQL_RESPONSE = "application/graphql-response+json"
VIEWER = "query Me { viewer { username authenticated } }"
MUTATION = 'mutation Edit { updateEnterprise(input: {creditCode: "x", version: 1}) { userErrors { code } } }'


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def extension(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}


@dataclass
class ApolloLink:
    """Apollo Client's createPersistedQueryLink over httpx (the ``gql`` package is not available here)."""

    http: httpx.AsyncClient
    token: str | None = None
    use_get: bool = False
    sent: list[tuple[str, bool, int]] = field(default_factory=list)  # (method, carried the query, status)

    def _headers(self) -> dict[str, str]:
        headers = {"accept": f"{GRAPHQL_RESPONSE},application/json;q=0.9"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers

    async def _hashed(self, document: str, variables: dict[str, Any], name: str) -> httpx.Response:
        payload = {"operationName": name, "variables": variables, "extensions": extension(document)}
        if self.use_get:
            params = {"operationName": name, "variables": json.dumps(variables),
                      "extensions": json.dumps(payload["extensions"])}
            response = await self.http.get("/graphql", params=params, headers=self._headers())
            self.sent.append(("GET", False, response.status_code))
        else:
            response = await self.http.post("/graphql", json=payload, headers=self._headers())
            self.sent.append(("POST", False, response.status_code))
        return response

    async def request(self, document: str, variables: dict[str, Any] | None = None, *,
                      name: str = "Me") -> dict[str, Any]:
        response = await self._hashed(document, variables or {}, name)
        body: dict[str, Any] = response.json()
        errors = body.get("errors") or []
        if any(e.get("message") == "PersistedQueryNotFound"
               or (e.get("extensions") or {}).get("code") == "PERSISTED_QUERY_NOT_FOUND" for e in errors):
            # the retry carries the document, always by POST (it may be large)
            retry = await self.http.post("/graphql", json={"operationName": name, "variables": variables or {},
                                                           "query": document, "extensions": extension(document)},
                                         headers=self._headers())
            self.sent.append(("POST", True, retry.status_code))
            body = retry.json()
        return body


async def test_apollo_protocol_over_post(client: httpx.AsyncClient, users: dict[str, str]) -> None:
    link = ApolloLink(client, token=await token_for(client, "xian_supervisor"))
    expected = {"data": {"viewer": {"username": "xian_supervisor", "authenticated": True}}}
    assert await link.request(VIEWER) == expected
    assert link.sent == [("POST", False, 200), ("POST", True, 200)]  # not found, then registered with the query
    assert await link.request(VIEWER) == expected
    assert link.sent[2:] == [("POST", False, 200)]  # the hash alone now
    anonymous = ApolloLink(client)  # another viewer: the document is shared, the answer is the viewer's own
    assert await anonymous.request(VIEWER) == {"data": {"viewer": {"username": None, "authenticated": False}}}
    assert anonymous.sent == [("POST", False, 200)]


async def test_apollo_protocol_over_get(client: httpx.AsyncClient) -> None:
    link = ApolloLink(client, use_get=True)
    expected = {"data": {"viewer": {"username": None, "authenticated": False}}}
    assert await link.request(VIEWER) == expected
    assert await link.request(VIEWER) == expected
    assert link.sent == [("GET", False, 200), ("POST", True, 200), ("GET", False, 200)]
    response = await client.get("/graphql", params={"extensions": json.dumps(extension(VIEWER))})
    assert response.json() == expected
    # A cache keeps viewers and media types apart (and origins: the CORS layer adds Origin).
    assert {"Accept", "Authorization"} <= {v.strip() for v in response.headers["vary"].split(",")}


async def test_unknown_hash_is_persisted_query_not_found(client: httpx.AsyncClient) -> None:
    unknown = {"extensions": extension("{ viewer { username } }")}
    for response in (await client.post("/graphql", json=unknown, headers={"accept": GRAPHQL_RESPONSE}),
                     await client.get("/graphql", params={"extensions": json.dumps(unknown["extensions"])})):
        assert response.status_code == 200  # as Apollo Server answers it, so that every client sends the query
        assert response.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                               "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
        assert "no-cache" in response.headers["cache-control"]


async def test_a_hash_that_is_not_the_query_s_is_refused_and_not_stored(client: httpx.AsyncClient) -> None:
    other = "{ viewer { roles } }"
    response = await client.post("/graphql", json={"query": VIEWER, "extensions": extension(other)},
                                  headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    for document in (VIEWER, other):
        lookup = await client.post("/graphql", json={"extensions": extension(document)})
        assert lookup.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_only_documents_that_validate_are_stored(client: httpx.AsyncClient) -> None:
    invalid = "{ nope }"
    response = await client.post("/graphql", json={"query": invalid, "extensions": extension(invalid)},
                                 headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    lookup = await client.post("/graphql", json={"extensions": extension(invalid)})
    assert lookup.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_malformed_persisted_query_extensions(client: httpx.AsyncClient) -> None:
    cases = [({"version": 2, "sha256Hash": sha256(VIEWER)}, "BAD_REQUEST"),
             ({"version": 1, "sha256Hash": sha256(VIEWER).upper()}, "INVALID_HASH"),
             ({"version": 1, "sha256Hash": "abc"}, "INVALID_HASH"),
             ({"version": 1}, "BAD_REQUEST"),
             ("not an object", "BAD_REQUEST")]
    for persisted, code in cases:
        response = await client.post("/graphql", json={"extensions": {"persistedQuery": persisted}})
        assert (response.status_code, response.json()["errors"][0]["extensions"]["code"]) == (400, code), persisted
    not_json = await client.get("/graphql", params={"extensions": "{persistedQuery"})
    assert not_json.status_code == 400 and not_json.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_get_never_runs_a_persisted_mutation(client: httpx.AsyncClient) -> None:
    registered = await client.post("/graphql", json={"query": MUTATION, "extensions": extension(MUTATION)})
    assert registered.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # it ran (refused) over POST
    refused = await client.get("/graphql", params={"extensions": json.dumps(extension(MUTATION))})
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    again = await client.post("/graphql", json={"extensions": extension(MUTATION)})  # by hash over POST: fine
    assert again.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_documents_are_shared_by_processes_and_get_works_in_production(database: Database) -> None:
    """Two API processes on one database: a document registered through one is known to the other, whose
    production mode refuses GET except for persisted queries."""
    apps = [create_app(Settings(), database=database),
            create_app(Settings(mode=Mode.PRODUCTION, secret_key="p" * 40), database=database)]
    async with LifespanManager(apps[0], startup_timeout=60, shutdown_timeout=60) as first, \
            LifespanManager(apps[1], startup_timeout=60, shutdown_timeout=60) as second, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=first.app), base_url="http://a") as dev, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=second.app), base_url="http://b") as production:
        assert (await ApolloLink(dev).request(VIEWER))["data"]["viewer"]["authenticated"] is False
        link = ApolloLink(production, use_get=True)
        assert (await link.request(VIEWER))["data"]["viewer"]["authenticated"] is False
        assert link.sent == [("GET", False, 200)]  # found in the shared collection at once
        plain = await production.get("/graphql", params={"query": VIEWER})
        assert plain.status_code == 405 and plain.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
        no_hash = await production.get("/graphql", params={"extensions": "{}", "query": VIEWER})
        assert no_hash.status_code == 405


async def test_the_in_process_cache_is_bounded_and_backed_by_the_database(database: Database) -> None:
    service = PersistedQueryService(database, cache_size=2)
    documents = [f"{{ viewer {{ {name} }} }}" for name in ("username", "roles", "jurisdictions")]
    for document in documents:
        await service.register(sha256(document), document)
    assert list(service.cache) == [sha256(d) for d in documents[1:]]  # the oldest left the cache
    assert await service.get(sha256(documents[0])) == documents[0]  # read back from the collection
    assert list(service.cache) == [sha256(d) for d in (documents[2], documents[0])]
    fresh = PersistedQueryService(database)  # another process
    assert [await fresh.get(sha256(d)) for d in documents] == documents
    assert await fresh.get(sha256("{ viewer { inspectorId } }")) is None
