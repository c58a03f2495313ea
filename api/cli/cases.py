"""ecoinspect cases: list cases, show one with its timeline and its check, flag the overdue ones (as the operator)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

import typer

from api.cli.exit_codes import ExitCode
from api.cli.meters import SYSTEM
from api.cli.runtime import fail, load_settings, run_with_services
from api.context import Services
from core.cases.integrity import CaseCheck
from core.cases.models import Case, CaseStatus, FlagReport, Step

cases_app = typer.Typer(help="Administrative penalty cases: list, show with the timeline and its check, "
                             "flag the overdue ones.", no_args_is_help=True)
T = TypeVar("T")


def _run(action: Callable[[Services], Awaitable[T]]) -> T:
    """One call into the services the app has (``build_services``: the same hooks)."""
    return run_with_services(load_settings(), action)


def _day(value: str | None, option: str) -> date:
    try:
        return date.fromisoformat(value) if value else datetime.now(UTC).date()
    except ValueError:
        raise fail(f"{option} {value} is not a date (YYYY-MM-DD)") from None


@cases_app.command("list")
def list_cases(
    status: Annotated[str | None, typer.Option(help=f"One of {', '.join(s.value for s in CaseStatus)}")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases with a deadline passed")] = False,
    jurisdiction: Annotated[str | None, typer.Option(help="Division code, e.g. 610100")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many cases")] = 50,
) -> None:
    """Cases in filing order, one line each: id, number, status, jurisdiction, party, the next deadline."""
    if status is not None and status not in {s.value for s in CaseStatus}:
        raise fail(f"--status {status} is not one of {', '.join(s.value for s in CaseStatus)}")

    async def read(services: Services) -> list[Case]:
        return await services.cases.list_up_to(SYSTEM, limit=limit, status=status, overdue=overdue,
                                               jurisdiction=jurisdiction)

    today = datetime.now(UTC).date()
    for case in _run(read):
        due = case.deadlines[0] if case.deadlines else None
        late = " OVERDUE" if due is not None and due.due_on < today else ""
        typer.echo(f"{case.id} {case.number or '-'} {case.status.value} {case.jurisdiction} {case.credit_code} "
                   f"{case.party_name} next={f'{due.name}:{due.due_on.isoformat()}' if due else '-'}{late}")


@cases_app.command("show")
def show(case_id: Annotated[str, typer.Argument(help="The case id")]) -> None:
    """The case's state, its deadlines and timeline, then the check: the steps' hash chain, and their fold
    against the stored case (OK, or the first mismatch and exit 1)."""

    async def read(services: Services) -> tuple[Case, list[Step], CaseCheck]:
        return await services.cases.inspect(SYSTEM, case_id)

    case, steps, check = _run(read)
    today = datetime.now(UTC).date()
    typer.echo(f"case {case.id} {case.number or '(no number yet)'}")
    typer.echo(f"status {case.status.value}; party {case.party_name} ({case.credit_code}); jurisdiction "
               f"{case.jurisdiction}")
    typer.echo(f"opened {case.opened_on} (discovered {case.discovered_on}) filed {case.filed_on or '-'} "
               f"decision due {case.decision_due or '-'} closed {case.closed_on or '-'}")
    for decision in case.decisions:
        paid = sum(p.amount_fen for p in decision.payments)
        typer.echo(f"decision {decision.id} {decision.number} {decision.kind.value} fine {decision.fine_fen / 100:.2f} "
                   f"yuan decided {decision.decided_on or '-'} served {decision.served_on or '-'} "
                   f"published {decision.published_on or '-'} paid {paid / 100:.2f}")
    typer.echo("deadlines:" if case.deadlines else "deadlines: none")
    for deadline in case.deadlines:
        late = " OVERDUE" if deadline.due_on < today else ""
        typer.echo(f"  {deadline.name} {deadline.ref or '-'} due {deadline.due_on}{late}")
    typer.echo("timeline:")
    for step in steps:
        typer.echo(f"  {step.seq} {step.kind.value} {step.actor} {step.at.isoformat(timespec='seconds')} {step.hash}")
    if not check.ok:
        typer.echo(f"check: MISMATCH {check.problem}")
        raise typer.Exit(code=ExitCode.FAILED)
    typer.echo(f"check: OK ({check.steps} steps: hash chain intact, their fold is the stored case)")


@cases_app.command("overdue")
def overdue(day: Annotated[str | None, typer.Option("--day", help="YYYY-MM-DD (default today, UTC)")] = None) -> None:
    """Flag the open cases overdue on the day (once per case and day; running it again adds nothing) and
    print the day's report by deadline."""
    when = _day(day, "--day")
    report: FlagReport = _run(lambda services: services.case_deadlines.flag_overdue(when))
    typer.echo(f"{report.day}: {report.cases} overdue cases, {report.new} newly flagged, "
               f"{report.cases - (report.new or 0)} flagged before")
    for name, count in report.by_deadline.items():
        typer.echo(f"  {name} {count}")
