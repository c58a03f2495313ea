"""``ecoinspect db backup FILE`` and ``db restore FILE``: the whole database, GridFS included, as one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.runtime import run_action
from core.operations.backup import BackupReport, BackupService


def _summary(verb: str, report: BackupReport) -> None:
    typer.echo(f"{verb} {report.path}: {len(report.collections)} collections, {report.documents} documents, "
               f"{report.files} GridFS files")
    typer.echo(f"consistency: {report.consistency}")


def backup_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The archive to write (replaced if it exists)")],
) -> None:
    """Back up every collection and GridFS file, read in one snapshot, with a manifest of counts and hashes."""
    report = run_action(lambda database: BackupService(database).backup(file))
    _summary("wrote", report)


def restore_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A backup archive")],
    force: Annotated[bool, typer.Option(help="Replace what the target database holds")] = False,
) -> None:
    """Restore an archive: verified against its manifest first; refuses a database that holds documents unless
    --force; a failure part-way empties the target again. Stop the server first."""
    report = run_action(lambda database: BackupService(database).restore(file, force=force))
    _summary("restored", report)
