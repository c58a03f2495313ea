"""``ecoinspect audit …``: verify the audit trail's hash chains."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from api.cli.exit_codes import ExitCode
from api.cli.runtime import fail, load_settings, run_with_services
from core.audit.models import DayReport

audit_app = typer.Typer(help="The audit trail: verify its hash chains.", no_args_is_help=True)


@audit_app.command("verify")
def verify(day: Annotated[str | None, typer.Option("--day", help="One UTC day, YYYY-MM-DD (default: every day)")]
           = None) -> None:
    """Chain what is pending, then walk each day's chain: report the first edited, deleted or reordered entry
    of each day; exit 1 on any."""
    if day is not None:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise fail(f"--day {day!r} is not a date (YYYY-MM-DD)") from None
    reports: list[DayReport] = run_with_services(load_settings(), lambda services: services.audit.verify(day))
    broken = 0
    for report in reports:
        if report.ok:
            typer.echo(f"{report.day}: OK {report.count} entries, head {report.head_hash}")
            continue
        broken += 1
        typer.echo(f"{report.day}: BROKEN ({len(report.problems)} problems, {report.count} entries)")
        for problem in report.problems:
            where = f"n={problem.n} " if problem.n is not None else ""
            typer.echo(f"  {problem.kind:9} {where}{problem.detail}")
    if broken:
        typer.secho(f"the audit trail does NOT verify: {broken} of {len(reports)} days broken", fg=typer.colors.RED,
                    err=True)
        raise typer.Exit(code=ExitCode.FAILED)
    typer.echo(f"the audit trail verifies: {len(reports)} days, {sum(r.count for r in reports)} entries")
