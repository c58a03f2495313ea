"""GraphQL over HTTP (the GraphQL-over-HTTP specification), on Starlette.

Media types: ``application/graphql-response+json`` (request errors → 400) and the legacy
``application/json`` (well-formed requests → 200). Automatic persisted queries (``persisted.py``) over
POST and GET. GET runs persisted queries in every mode and any query in dev mode, never mutations;
GraphiQL (``graphiql.py``, from the project's own files) only in dev mode.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError, VariableDefinitionNode
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api import logs
from api.context import Context
from api.graphql.audit import record_request
from api.http import graphiql, persisted
from api.http.auth import client_address
from api.http.metrics import GRAPHQL_LATENCY, GRAPHQL_REQUESTS
from core.accounts.models import ANONYMOUS
from core.error_codes import ErrorCode
from core.errors import DomainError, Unauthenticated
from core.jsonsafe import find_unsafe, sanitise_for_output

log = logging.getLogger(__name__)
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

def _error(message: str, code: ErrorCode, status: int, media: str = JSON, **headers: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, media_type=media, headers=headers or None)


def _negotiate(accept: str) -> str | None:
    if not accept.strip():
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types or "application/*" in types or "*/*" in types:
        return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in types or JSON not in types else JSON
    if JSON in types:
        return JSON
    return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use an Authorization: Bearer <token> header", code=ErrorCode.INVALID_TOKEN)
    return token.strip()


class _BadRequest(Exception):
    """A request body or query string the endpoint refuses before reading the document."""

    def __init__(self, message: str, code: ErrorCode, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in raw:
                try:
                    raw[name] = json.loads(raw[name], parse_constant=_refuse_constant)
                except _NonFinite as exc:
                    raise _BadRequest(f"{name} holds {exc}, which JSON does not allow",
                                      ErrorCode.BAD_USER_INPUT) from None
                except (json.JSONDecodeError, RecursionError):
                    raise _BadRequest(f"{name} is not valid JSON", ErrorCode.BAD_REQUEST) from None
        return raw
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise _BadRequest("POST bodies must be application/json", ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415)
    try:
        body = json.loads(await request.body(), parse_constant=_refuse_constant)
    except _NonFinite as exc:
        raise _BadRequest(f"the body holds {exc}, which JSON does not allow", ErrorCode.BAD_USER_INPUT) from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise _BadRequest("the body is not valid JSON", ErrorCode.BAD_REQUEST) from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object", ErrorCode.BAD_REQUEST)
    return body


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)  # NaN, Infinity, -Infinity: Python's json reads them, JSON has none


def _well_formed(params: dict[str, Any]) -> str | None:
    if not isinstance(params.get("query"), str) or not params["query"].strip():
        return "query must be a non-empty string"
    if params.get("variables") is not None and not isinstance(params["variables"], dict):
        return "variables must be an object"
    if params.get("operationName") is not None and not isinstance(params["operationName"], str):
        return "operationName must be a string"
    return None


def _unsafe(params: dict[str, Any]) -> str | None:
    """A value no input may hold (non-finite, over-wide integer, lone surrogate), wherever it is."""
    problem = find_unsafe(params.get("variables") or {}, "variables")
    if problem:
        return problem
    return find_unsafe(params["query"], "query") or find_unsafe(params.get("operationName"), "operationName")


class GraphQLEndpoint:
    def __init__(self, schema: strawberry.Schema) -> None:
        self.schema = schema

    async def handle(self, request: Request) -> Response:
        settings = request.app.state.settings
        accept = request.headers.get("accept", "")
        get = request.method == "GET"
        address, viewer, operation = client_address(request), ANONYMOUS, "graphql"

        def refuse(message: str, code: ErrorCode, status: int, media: str = JSON, **headers: str) -> Response:
            """A request refused before any root field ran: answered, and recorded in the audit trail."""
            record_request(request.app.state.services.audit, viewer, operation, code,
                           request_id=logs.request_id.get(), address=address)
            return _error(message, code, status, media, **headers)

        if get and settings.production and "extensions" not in request.query_params:
            return _get_refused(refuse)
        if get and "text/html" in accept and not {"query", "extensions"} & set(request.query_params):
            return HTMLResponse(graphiql.page())
        media = _negotiate(accept)
        if media is None:
            return refuse(f"cannot answer with {accept}; accept {GRAPHQL_RESPONSE} or {JSON}",
                          ErrorCode.NOT_ACCEPTABLE, 406)
        try:
            params = await _params(request)
        except _BadRequest as exc:
            return refuse(exc.message, exc.code, exc.status, media)
        try:
            named = persisted.persisted_request(params)
        except persisted.Refused as exc:
            return refuse(exc.message, exc.code, 400, media)
        if get and settings.production and named is None:
            return _get_refused(refuse)
        if named is not None and not named.carries_query:
            document = await request.app.state.services.persisted_queries.get(named.sha256)
            if document is None:
                return persisted.not_found(media)
            params = {**params, "query": document}
        problem = _well_formed(params)
        if problem:
            return refuse(problem, ErrorCode.BAD_REQUEST, 400, media)
        operation = f"graphql:{_audited_name(params)}"
        problem = _unsafe(params)
        if problem:
            return refuse(f"not storable: {problem}", ErrorCode.BAD_USER_INPUT, 400, media)
        try:
            viewer = await request.app.state.accounts.viewer_from_token(_bearer(request))
        except Unauthenticated as exc:
            return refuse(exc.message, exc.code, 401, media, **{"WWW-Authenticate": "Bearer"})
        context = Context(viewer=viewer, services=request.app.state.services,
                          settings=settings, request_id=logs.request_id.get(), address=address)
        label = _operation_name(params)
        logs.note(user=viewer.username, operation=f"graphql:{label}")
        allowed = ({OperationType.QUERY} if request.method == "GET"
                   else {OperationType.QUERY, OperationType.MUTATION})
        started = time.perf_counter()
        try:
            result = await self.schema.execute(
                params["query"], variable_values=params.get("variables"), context_value=context,
                operation_name=params.get("operationName"), allowed_operation_types=allowed,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                return refuse("subscriptions are not supported over HTTP; use a query or a mutation",
                              ErrorCode.OPERATION_NOT_SUPPORTED, 400, media)
            return refuse("mutations need POST", ErrorCode.METHOD_NOT_ALLOWED, 405, media, Allow="POST")
        GRAPHQL_LATENCY.labels(label).observe(time.perf_counter() - started)
        if _request_error(result) and result.errors:  # no root field ran (parse, validation, variables, limits)
            record_request(request.app.state.services.audit, viewer, operation, _code(result.errors[0]),
                           request_id=context.request_id, address=address)
        if named is not None and named.carries_query and not _request_error(result):
            await _remember(request, named.sha256, params["query"])
        response = self._respond(result, media, label)
        if get:  # answers differ by media type and viewer: a cache must keep them apart
            response.headers["Vary"] = "Accept, Authorization"
        return response

    def _respond(self, result: Any, media: str, operation: str) -> Response:
        errors = []
        for error in result.errors or []:
            formatted = error.formatted
            formatted.setdefault("extensions", {}).setdefault("code", error_code(error))
            errors.append(formatted)
        request_error = _request_error(result)
        GRAPHQL_REQUESTS.labels(operation, "request_error" if request_error else
                                "field_error" if errors else "ok").inc()
        body: dict[str, Any] = {} if request_error else {"data": result.data}
        if errors:
            body["errors"] = errors
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        headers = {"Retry-After": RETRY_AFTER_S} if any(
            e["extensions"]["code"] in RETRYABLE for e in errors) else None
        try:
            return JSONResponse(body, status_code=status, media_type=media, headers=headers)
        except (ValueError, TypeError):
            # A stored value that JSON cannot hold (written before inputs were checked): answer with what
            # can be encoded rather than fail the whole response.
            log.warning("response held values JSON cannot encode; sanitised", extra={"operation": operation})
            return JSONResponse(sanitise_for_output(body), status_code=status, media_type=media, headers=headers)


def _get_refused(refuse: Callable[..., Response]) -> Response:
    return refuse("GET is for persisted queries in production (extensions.persistedQuery); use POST",
                  ErrorCode.METHOD_NOT_ALLOWED, 405, Allow="POST")


def _code(error: GraphQLError) -> str:
    """The code the client is answered with for ``error``."""
    return str((error.extensions or {}).get("code") or error_code(error))


def _request_error(result: Any) -> bool:
    """The document did not parse or validate (or was refused before execution): nothing ran."""
    return bool(result.errors) and result.data is None and all(not e.path for e in result.errors)


async def _remember(request: Request, sha256: str, document: str) -> None:
    """Persist a document that validated; the answer goes out even if the store fails (the client sends it again)."""
    try:
        await request.app.state.services.persisted_queries.register(sha256, document)
    except Exception:
        log.warning("could not store the persisted query %s", sha256, exc_info=True)


RETRY_AFTER_S = "2"
RETRYABLE = frozenset(code for code in ErrorCode if code.retry)  # each answered with Retry-After


def error_code(error: GraphQLError) -> str:
    """The code of an error that carries none: input errors, limits, parse errors, or an internal fault."""
    if isinstance(error.original_error, DomainError):
        return error.original_error.code  # a resolver let a domain refusal through: its own code
    if error.path:
        return ErrorCode.INTERNAL_ERROR
    if error.nodes and isinstance(error.nodes[0], VariableDefinitionNode):
        return ErrorCode.BAD_USER_INPUT  # graphql-core could not coerce a variable to its declared type
    message = error.message
    if message.startswith("Syntax Error"):
        too_long = "tokens" in message and "Parsing aborted" in message
        return ErrorCode.TOO_MANY_TOKENS if too_long else ErrorCode.GRAPHQL_PARSE_FAILED
    return ErrorCode.GRAPHQL_VALIDATION_FAILED


_NAMED = re.compile(r"^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


_MAX_LABELS = 200
_labels: set[str] = set()


def _operation_name(params: dict[str, Any]) -> str:
    """The metrics label: operationName, else the first operation's name, else "anonymous".

    Clients choose names, so the label set is capped: names beyond the first 200 count as "other".
    """
    name = _audited_name(params)
    if name not in _labels:
        if len(_labels) >= _MAX_LABELS:
            return "other"
        _labels.add(name)
    return name


def _audited_name(params: dict[str, Any]) -> str:
    """The operation's name for the audit trail: operationName, else the first operation's name."""
    name = params.get("operationName")
    if not name:
        match = _NAMED.match(params["query"])
        name = match.group(1) if match else "anonymous"
    return str(name)[:64]
