"""What the API records in the audit trail: every mutation with its outcome, and every refused root field.

Called from the root-field guard (``api.graphql.permissions``), the one place every query and mutation passes,
and from the endpoint for refusals that happen before any field runs. Recording only queues the entry
(``AuditService.record``); the writer task stores it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any

from graphql import GraphQLError

from core.accounts.models import Viewer
from core.audit.service import AuditService
from core.db import is_unavailable
from core.error_codes import ErrorCode
from core.errors import DomainError

OK = "ok"
EXTRA_TARGETS = frozenset({"creditCode", "username", "cellId"})  # ids whose names do not end in "Id"


def _is_target(name: str) -> bool:
    return name == "id" or name.endswith(("Id", "Ids")) or name in EXTRA_TARGETS


def target_ids(arguments: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(name, value) of the arguments named ``id``, ``…Id`` (or ``…Ids``) or a known id, at the top level and
    one level into each input object, in argument order."""
    found: list[tuple[str, Any]] = []
    for name, value in arguments.items():
        if isinstance(value, Mapping):
            found += [(inner, v) for inner, v in value.items() if _is_target(inner) and v is not None
                      and not isinstance(v, Mapping)]
        elif _is_target(name) and value is not None:
            found.append((name, value))
    return [(name, item) for name, value in found
            for item in (value if isinstance(value, list | tuple) else [value])]


def error_code(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return str(exc.code)
    if isinstance(exc, GraphQLError) and (exc.extensions or {}).get("code"):
        return str((exc.extensions or {})["code"])
    if is_unavailable(exc):
        return ErrorCode.UNAVAILABLE
    return ErrorCode.INTERNAL_ERROR


def payload_refusal(result: Any) -> str | None:
    """The code of a mutation payload's first user error, if it has any."""
    errors = getattr(result, "user_errors", None)
    if errors:
        return str(getattr(errors[0], "code", ErrorCode.DOMAIN_ERROR))
    return None


def outcome(code: str | None) -> str:
    """``ok`` without a code; ``failed:INTERNAL_ERROR`` for a fault; else ``refused:<code>``."""
    if code is None:
        return OK
    return f"failed:{code}" if code == ErrorCode.INTERNAL_ERROR else f"refused:{code}"


def record(context: Any, operation: str, arguments: Mapping[str, Any], code: str | None) -> None:
    """Queue the entry of root field ``operation`` with the outcome its code gives (none: ``ok``)."""
    record_request(context.services.audit, context.viewer, operation, code, request_id=context.request_id,
                   address=context.address, targets=target_ids(arguments))


def record_request(audit: AuditService, viewer: Viewer, operation: str, code: str | None, *, request_id: str,
                   address: str, targets: list[tuple[str, Any]] | None = None) -> None:
    """Queue one entry for ``viewer``; also used for requests refused before any root field ran."""
    audit.record(actor=viewer.username, roles=[role.value for role in viewer.roles],
                 jurisdictions=viewer.jurisdictions, operation=operation, outcome=outcome(code), code=code,
                 targets=targets or [], request_id=request_id, address=address, source="graphql")


async def settle(context: Any, operation: str, arguments: Mapping[str, Any], pending: Awaitable[Any],
                 mutation: bool) -> Any:
    """Await an async resolver and record its outcome (any refusal; a mutation's success too)."""
    try:
        result = await pending
    except Exception as exc:
        record(context, operation, arguments, error_code(exc))
        raise
    if mutation:
        record(context, operation, arguments, payload_refusal(result))
    return result
