"""The audit entry of a CLI command that writes: ``cli:<command>``, its arguments (secrets left out) and outcome.

``runtime.open_database`` wraps every command that opens the database in ``recorded``; the entry is queued,
then written and chained before the database closes. Commands that only read are listed in ``READ_ONLY``.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from typer._click.globals import get_current_context  # typer (pinned) runs commands on its own copy of click

from core.accounts.roles import ADMINS
from core.audit.service import AuditService
from core.config import Settings
from core.db import Database
from core.error_codes import ErrorCode
from core.reference import tables

log = logging.getLogger(__name__)
READ_ONLY = frozenset({"db status", "db backup", "cases list", "cases show", "alerts list", "leads list",
                       "complaints list", "plan export", "plan coverage", "verify-task", "audit verify",
                       "positive-list list", "positive-list history"})
SECRET_WORDS = ("password", "secret", "token")
TARGET_NAMES = frozenset({"id", "credit_code", "username"})
MAX_ARGUMENT = 200


def current_command() -> tuple[str, dict[str, Any]] | None:
    """The running command's name below the program (``plan freeze``) and its parameters, or None outside one."""
    context: Any = get_current_context(silent=True)
    names: list[str] = []
    params: dict[str, Any] = {}
    while context is not None:
        if context.parent is not None and context.info_name:
            names.append(context.info_name)
        params = {**context.params, **params}
        context = context.parent
    return (" ".join(reversed(names)), params) if names else None


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    if isinstance(value, Path):
        text = value.as_posix()
    elif isinstance(value, Enum):
        text = str(value.value)
    else:
        text = str(value)
    return text if len(text) <= MAX_ARGUMENT else text[:MAX_ARGUMENT] + "…"


def summary(params: dict[str, Any]) -> dict[str, str]:
    """The arguments given, as text; a secret's value is never recorded."""
    return {name: "(hidden)" if any(word in name.lower() for word in SECRET_WORDS) else _text(value)
            for name, value in sorted(params.items()) if value is not None and value != [] and value != ()}


def targets(params: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, value) for name, value in params.items()
            if value is not None and (name in TARGET_NAMES or name.endswith("_id"))]


def outcome(exc: BaseException | None) -> tuple[str, str | None]:
    """``ok``; ``refused:<code>`` for a coded refusal (the one a ``fail(...) from None`` exit was raised in);
    ``failed`` otherwise."""
    exits = isinstance(exc, typer.Exit | SystemExit)
    if exc is None or (exits and _exit_code(exc) == 0):
        return "ok", None
    cause = exc.__context__ if exits else exc
    code = getattr(cause, "code", None)
    if isinstance(code, str) and code:
        return f"refused:{code}", code
    if isinstance(exc, Exception) and not exits:
        return f"failed:{ErrorCode.INTERNAL_ERROR}", ErrorCode.INTERNAL_ERROR
    return "failed", None


def _exit_code(exc: BaseException) -> int | str | None:
    return exc.exit_code if isinstance(exc, typer.Exit) else exc.code if isinstance(exc, SystemExit) else None


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


@contextlib.asynccontextmanager
async def recorded(database: Database, settings: Settings) -> AsyncIterator[None]:
    """Record the running command (unless it only reads) with its outcome, whatever happens inside."""
    found = current_command()
    if found is None or found[0] in READ_ONLY:
        yield
        return
    name, params = found
    failure: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        failure = exc
        raise
    finally:
        result, code = outcome(failure)
        audit = AuditService(database, retention_days=settings.audit_retention_days)
        audit.record(actor="cli", roles=[role.value for role in ADMINS], jurisdictions=(tables.root_code(),),
                     operation=f"cli:{name}", outcome=result, code=code, targets=targets(params),
                     request_id=f"cli:{uuid.uuid4().hex[:16]}", address=_operator(), source="cli",
                     detail=summary(params))
        try:
            await audit.flush()
        except Exception as exc:  # the command's own outcome stands; say once that its record is missing
            log.error("the audit entry of %r could not be written: %s", name, exc)
