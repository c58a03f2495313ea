"""ecoinspect verify-task: check a task's hash chain and evidence files."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.exit_codes import ExitCode
from api.cli.runtime import load_settings, run_with_services


def verify_task_command(task_id: Annotated[str, typer.Argument(help="The task id")]) -> None:
    """Re-walk the task's record log: every hash link, the stored chain head, every evidence file."""
    report = run_with_services(load_settings(), lambda services: services.records.verify_chain(task_id))
    typer.echo(f"task {task_id}: {report.entries} entries, {report.evidence_checked} evidence files checked, "
               f"head {report.head}")
    if report.entries == 0:
        typer.echo("no field records for this task")
        raise typer.Exit(code=ExitCode.FAILED)
    for problem in report.problems:
        typer.echo(f"BROKEN: {problem}")
    if not report.intact:
        raise typer.Exit(code=ExitCode.FAILED)
    typer.echo("chain intact")
