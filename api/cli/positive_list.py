"""ecoinspect positive-list: the current members, one enterprise's history, admit a batch, remove a member."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

import typer

from api.cli.meters import SYSTEM
from api.cli.runtime import fail, load_settings, run_with_services
from api.context import Services
from core.positive_list.models import Batch, Member, MembershipChange
from core.positive_list.service import Admission

positive_list_app = typer.Typer(help="The enforcement positive list (正面清单): members, history, admit, remove.",
                                no_args_is_help=True)
T = TypeVar("T")


def _run(action: Callable[[Services], Awaitable[T]]) -> T:
    """One call into the services the app has; a refusal is one coded line, exit 1."""
    return run_with_services(load_settings(), action)


def _day(value: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise fail(f"{option} {value} is not a date (YYYY-MM-DD)") from None


def _line(change: MembershipChange) -> str:
    batch = f" {change.batch.name} {change.batch.number}" if change.batch else ""
    return (f"{change.effective_on.isoformat()} {change.action.value} {change.cause.value} {change.credit_code} "
            f"{change.enterprise_name}{batch} by {change.actor}: {change.reason}")


@positive_list_app.command("list")
def list_members(jurisdiction: Annotated[str | None, typer.Option(help="Division code, e.g. 610100")] = None
                 ) -> None:
    """The current members, in registry order: credit code, name, jurisdiction, period, batch."""
    async def read(services: Services) -> list[Member]:
        return await services.positive_list.public_members(jurisdiction=jurisdiction)

    for m in _run(read):
        batch = f" {m.admission.batch.number}" if m.admission and m.admission.batch else ""
        typer.echo(f"{m.credit_code} {m.enterprise_name} {m.jurisdiction} "
                   f"{m.valid_from.isoformat()}..{m.valid_to.isoformat()}{batch}")


@positive_list_app.command("history")
def history(credit_code: Annotated[str, typer.Argument(help="The enterprise's credit code")]) -> None:
    """Every admission and removal of one enterprise, newest first."""
    async def read(services: Services) -> list[MembershipChange]:
        return await services.positive_list.history(SYSTEM, credit_code)

    for change in _run(read):
        typer.echo(_line(change))


@positive_list_app.command("admit")
def admit(
    credit_codes: Annotated[list[str], typer.Argument(help="The enterprises of the batch")],
    batch_name: Annotated[str, typer.Option(help="The batch as published")],
    batch_number: Annotated[str, typer.Option(help="The number of the batch decision")],
    valid_from: Annotated[str, typer.Option(help="First day (YYYY-MM-DD)")],
    valid_to: Annotated[str | None, typer.Option(help="Last day (default: 3 years)")] = None,
) -> None:
    """Admit a batch of eligible enterprises (all of them, or none)."""
    start = _day(valid_from, "--valid-from")
    assert start is not None
    admission = Admission(credit_codes=credit_codes, batch=Batch(name=batch_name, number=batch_number),
                          valid_from=start, valid_to=_day(valid_to, "--valid-to"))

    async def write(services: Services) -> list[MembershipChange]:
        return await services.positive_list.admit(SYSTEM, admission, request_id=f"cli:{uuid.uuid4()}")

    for change in _run(write):
        typer.echo(_line(change))


@positive_list_app.command("remove")
def remove(
    credit_code: Annotated[str, typer.Argument(help="The member's credit code")],
    reason: Annotated[str, typer.Option(help="Why it is removed")],
    effective_on: Annotated[str | None, typer.Option(help="First day it is off the list (default: today)")] = None,
) -> None:
    """Remove a member by decision, with the reason."""
    day = _day(effective_on, "--effective-on") or datetime.now(UTC).date()

    async def write(services: Services) -> MembershipChange:
        return await services.positive_list.remove(SYSTEM, credit_code=credit_code, reason=reason, effective_on=day,
                                                   request_id=f"cli:{uuid.uuid4()}")

    typer.echo(_line(_run(write)))
