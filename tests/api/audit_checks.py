"""Authorization checks for the audit log, used by the authorization matrix."""

from __future__ import annotations

from typing import Any

import httpx
from conftest import gql

LOG = """query($actor: String) { auditLog(first: 50, filter: {actor: $actor, operation: "login"}) {
  edges { node { actor outcome } } } }"""
ACTOR = {"xian": "xian_inspector", "baoji": "baoji_inspector"}  # whose logins the matrix made
# Who reads the logins of the city's inspector: administrators, and supervisors whose jurisdiction covers it.
READS = {"xian": {"admin", "prov_supervisor", "xian_supervisor"}, "baoji": {"admin", "prov_supervisor"}}
SUPERVISE = {"prov_supervisor", "xian_supervisor", "admin"}


def _code(result: dict[str, Any]) -> str | None:
    errors = result.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def check_audit_log(client: httpx.AsyncClient, token: str | None, role: str, where: str, setup: str) -> None:
    result = await gql(client, LOG, {"actor": ACTOR[where]}, token=token)
    if role == "anonymous":
        assert _code(result) == "UNAUTHENTICATED" and result["data"] is None
    elif role not in SUPERVISE:
        assert _code(result) == "FORBIDDEN" and result["data"] is None
    elif role in READS[where]:
        nodes = [e["node"] for e in result["data"]["auditLog"]["edges"]]
        assert nodes and {n["actor"] for n in nodes} == {ACTOR[where]} and {n["outcome"] for n in nodes} == {"ok"}
    else:
        assert result["data"]["auditLog"]["edges"] == [], result  # out of scope: nothing, not an error


AUDIT_CHECKS = {"Query.auditLog": check_audit_log}
