"""Which database errors mean "unreachable, retry" (UNAVAILABLE) and which are faults or refusals."""

from __future__ import annotations

import pytest
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteError,
)

from core.db import is_unavailable
from core.errors import NotFound, Unavailable


def _raised_from(cause: BaseException) -> BaseException:
    try:
        raise RuntimeError("wrapped") from cause
    except RuntimeError as exc:
        return exc


@pytest.mark.parametrize("error", [
    ServerSelectionTimeoutError("127.0.0.1:1: connection refused"),
    AutoReconnect("connection reset"),
    NetworkTimeout("timed out"),
    NotPrimaryError("not primary"),
    OperationFailure("shutting down", code=91),
    OperationFailure("stepped down", code=189),
    Unavailable("the database is restarting"),
    _raised_from(AutoReconnect("connection reset")),
])
def test_unreachable_database_errors_are_unavailable(error: BaseException) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize("error", [
    DuplicateKeyError("E11000", code=11000),
    WriteError("document failed validation", code=121),
    OperationFailure("write conflict", code=112),
    NotFound("no such task"),
    ValueError("bad input"),
    _raised_from(ValueError("bad input")),
])
def test_other_errors_are_not(error: BaseException) -> None:
    assert not is_unavailable(error)
