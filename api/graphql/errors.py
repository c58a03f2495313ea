"""Top-level GraphQL errors (auth, limits, internal) always carry ``extensions.code``."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from core.db import is_unavailable
from core.error_codes import ErrorCode
from core.errors import DomainError

log = logging.getLogger(__name__)


class ApiError(GraphQLError):
    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message, extensions={"code": code})


def from_domain(error: DomainError) -> ApiError:
    return ApiError(error.message, error.code)


def is_expected(error: GraphQLError) -> bool:
    """Expected errors are shown to clients; anything else is logged once and masked."""
    original = error.original_error
    if original is None:
        return True  # syntax, validation and limit errors built by graphql-core itself
    if is_unavailable(original):  # the database is down or restarting: retryable, coded, not a fault
        error.message, error.extensions = "the database is unavailable; retry shortly", {"code": ErrorCode.UNAVAILABLE}
        return True
    if isinstance(original, GraphQLError | DomainError):
        return True  # our own coded errors, and graphql-core's input coercion errors wrapping its own
    log.error("unexpected error in resolver", exc_info=original, extra={"path": error.path})
    return False
