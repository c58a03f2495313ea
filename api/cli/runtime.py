"""Helpers the CLI commands share: settings, an open database, one-line fatal errors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import typer

from api import logs
from api.app import prepare
from api.assembly import build_services
from api.cli import audit_trail
from api.cli.exit_codes import ExitCode
from api.context import Services
from core.config import ConfigurationError, Settings, read_settings
from core.db import Database, EmbeddedServerError
from core.errors import DomainError

T = TypeVar("T")


def load_settings(**overrides: Any) -> Settings:
    """The settings, read when a command runs (never at import, so ``--help`` works whatever the environment);
    an invalid value is one line naming the variable, its value and what is allowed, exit 78."""
    try:
        return read_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as exc:
        raise fail(f"configuration: {exc}", code=ExitCode.CONFIG) from None


def fail(message: str, *, code: ExitCode = ExitCode.FAILED) -> typer.Exit:
    typer.secho(f"ecoinspect: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=code)


@contextlib.asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The configured database, prepared. Every command that opens one comes through here, so here a command
    that writes is recorded in the audit trail (``api.cli.audit_trail``), written before the database closes."""
    try:
        # Beside a running server, its database (published in the data directory); otherwise one of our own.
        database = await asyncio.to_thread(Database.from_settings, settings, attach=True)
    except EmbeddedServerError as exc:
        raise fail(str(exc)) from None
    try:
        await prepare(database, settings)
        async with audit_trail.recorded(database, settings):
            yield database
    finally:
        await database.close()


def run_with_database(settings: Settings, action: Callable[[Database], Awaitable[T]]) -> T:
    logs.configure("WARNING", as_json=False)

    async def main() -> T:
        async with open_database(settings) as database:
            return await action(database)

    return asyncio.run(main())


def run_with_services(settings: Settings, action: Callable[[Services], Awaitable[T]], *,
                      install_packs: bool = True) -> T:
    """Run ``action`` with the services the app has (``build_services``), the default policy packs installed
    as at the app's start (unless ``install_packs`` is false: a command that only reads writes nothing); a
    refusal (DomainError) is one coded line, exit 1."""

    async def guarded(database: Database) -> T:
        services = build_services(database, settings)
        if install_packs:
            await services.policies.install_default_packs()
        try:
            return await action(services)
        except DomainError as exc:
            raise fail(f"[{exc.code}] {exc.message}") from None

    return run_with_database(settings, guarded)


def run_action(action: Callable[[Database], Awaitable[T]]) -> T:
    """Run a service call on the configured database; a refusal (DomainError) is one coded line, exit 1."""

    async def guarded(database: Database) -> T:
        try:
            return await action(database)
        except DomainError as exc:
            raise fail(f"[{exc.code}] {exc.message}") from None

    return run_with_database(load_settings(), guarded)
