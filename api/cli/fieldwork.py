"""ecoinspect verify-task: check a task's hash chain and evidence files."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.runtime import load_settings, run_with_database
from core.db import Database
from core.fieldwork.chain import ChainReport, verify_task


def verify_task_command(task_id: Annotated[str, typer.Argument(help="The task id")]) -> None:
    """Re-walk the task's record log: every hash link, the stored chain head, every evidence file."""

    async def action(database: Database) -> ChainReport:
        return await verify_task(database, task_id)

    report = run_with_database(load_settings(), action)
    typer.echo(f"task {task_id}: {report.entries} entries, {report.evidence_checked} evidence files checked, "
               f"head {report.head}")
    if report.entries == 0:
        typer.echo("no field records for this task")
        raise typer.Exit(1)
    for problem in report.problems:
        typer.echo(f"BROKEN: {problem}")
    if not report.intact:
        raise typer.Exit(1)
    typer.echo("chain intact")
