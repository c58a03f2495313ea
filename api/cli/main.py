"""Entry point of the ``ecoinspect`` command."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer

from api.assembly import build_services
from api.cli.audit import audit_app
from api.cli.backup import backup_command, restore_command
from api.cli.cases import cases_app
from api.cli.exit_codes import ExitCode
from api.cli.fieldwork import verify_task_command
from api.cli.jobs import scheduler_app
from api.cli.meters import meters_app
from api.cli.nonsite import alerts_app, complaints_app, flight_app, hotspot_app, leads_app
from api.cli.plans import plan_app, verify_draw
from api.cli.positive_list import positive_list_app
from api.cli.progress import bars, count_rows
from api.cli.runtime import fail, load_settings, run_with_services
from core.accounts.models import Role
from core.accounts.secret import SecretFileError, with_signing_secret
from core.db import Database
from core.registry.importing import ImportReport, Progress
from core.registry.sources import SourceError

app = typer.Typer(no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
db_app = typer.Typer(help="Inspect, back up and restore the database.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(meters_app, name="meters")
app.add_typer(alerts_app, name="alerts")
app.add_typer(leads_app, name="leads")
app.add_typer(complaints_app, name="complaints")
app.add_typer(hotspot_app, name="hotspot")
app.add_typer(flight_app, name="flight")
app.add_typer(cases_app, name="cases")
app.add_typer(audit_app, name="audit")
app.add_typer(positive_list_app, name="positive-list")
app.command("verify-draw")(verify_draw)
app.command("verify-task")(verify_task_command)
db_app.command("backup")(backup_command)
db_app.command("restore")(restore_command)


def _version() -> str:
    try:
        return version("ecoinspect")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _print_version(shown: bool) -> None:
    if shown:
        typer.echo(f"ecoinspect {_version()}")
        raise typer.Exit()


@app.callback()
def main(
    _version_option: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                  help="Print the version and exit.")] = False,
) -> None:
    """Ecoinspect: double-random inspections, policies as data, field evidence.

    Exit codes: 0 done; 1 failed or refused (one line on stderr, with the error code); 2 wrong usage;
    3 an import rejected rows; 78 an invalid setting (the variable, its value and what is allowed).
    """


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Load the demo data and logins on first start")] = False,
    port: Annotated[int | None, typer.Option(help="Port (default: $PORT or 8000)")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
) -> None:
    """Serve the API (GraphQL at /graphql), starting the embedded database if MONGODB_URI is unset."""
    import uvicorn

    from api import logs
    from api.app import create_app
    from core.db import EmbeddedServerError
    from core.demo.loader import demo_logins
    from core.demo.users import DEMO_PASSWORD

    try:
        # Resolved here so that an unusable secret file stops start-up with one line, not a request.
        settings = with_signing_secret(load_settings(port=port, host=host))
    except SecretFileError as exc:
        raise fail(str(exc)) from None
    logs.configure(settings.log_level, as_json=settings.log_json)

    async def on_ready(database: Database) -> None:
        if demo:
            loaded = await build_services(database, settings).demo.load_if_empty()
            typer.echo(loaded.summary)
            if loaded.decisions:
                typer.echo(f"demo: {loaded.decisions} policy decisions recorded (supervision class, positive list)")
        typer.echo(f"\nEcoinspect is serving http://{settings.host}:{settings.port}/graphql")
        if demo:
            typer.echo(f"Demo logins (password {DEMO_PASSWORD!r}):")
            for line in demo_logins():
                typer.echo(f"  {line}")
            typer.echo(f"Get a token: curl -s -d username=supervisor1 -d password={DEMO_PASSWORD} "
                       f"http://{settings.host}:{settings.port}/auth/token\n")

    try:
        asgi = create_app(settings, on_ready=on_ready)
        uvicorn.run(asgi, host=settings.host, port=settings.port, log_config=None,
                    access_log=False, lifespan="on")
    except EmbeddedServerError as exc:
        raise fail(str(exc)) from None


@app.command()
def demo(
    enterprises: Annotated[int, typer.Option(help="How many enterprises to generate")] = 5000,
    force: Annotated[bool, typer.Option(help="Load even if the registry is not empty")] = False,
) -> None:
    """Load the generated Shaanxi demo dataset and the demo logins."""
    settings = load_settings()
    with bars("enterprises", enterprises):
        summary = run_with_services(settings, lambda services: services.demo.load(enterprises=enterprises,
                                                                                  force=force))
    typer.echo(summary)


def _print_report(report: ImportReport, label: str) -> None:
    typer.echo(f"{label}: {report.rows} rows, {report.inserted} inserted, {report.updated} updated, "
               f"{report.unchanged} unchanged, {report.failed} rejected")
    if report.changed_fields:
        typer.echo("changed fields: " + ", ".join(f"{name} ({rows})" for name, rows in
                                                  sorted(report.changed_fields.items())))
    for error in report.errors[:50]:
        typer.echo(f"  row {error.row}: [{error.code}] {error.message}")
    if report.failed and len(report.errors) > 50:
        typer.echo(f"  … {len(report.errors) - 50} more errors; use --errors FILE to save them all")


async def _with_progress(kind: str, file: Path,
                         load: Callable[[Progress], Awaitable[ImportReport]]) -> ImportReport:
    """Run an import with progress bars (the rows, then the policy decisions of the enterprises imported); a file
    that cannot be read is one coded line, exit 1."""
    import asyncio

    total = await asyncio.to_thread(count_rows, file)
    with bars(kind, total) as reporter:
        try:
            return await load(reporter.advance)
        except SourceError as exc:
            raise fail(f"{file}: [{exc.code}] {exc}") from None


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="enterprises or inspectors")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV, JSON array or JSON lines (docs/api.md, import format)")],
    errors: Annotated[Path | None, typer.Option(help="Write every row error to this JSON file")] = None,
) -> None:
    """Import a registry file (CSV, JSON array or JSON lines; UTF-8 with or without BOM)."""
    if kind not in {"enterprises", "inspectors"}:
        raise fail("kind must be 'enterprises' or 'inspectors'", code=ExitCode.USAGE)
    settings = load_settings()
    if kind == "enterprises":
        report = run_with_services(settings, lambda services: _with_progress(kind, file, lambda advance: (
            services.registry.import_and_redecide(file, actor="cli", progress=advance))))
    else:
        report = run_with_services(settings, lambda services: _with_progress(kind, file, lambda advance: (
            services.registry.import_inspectors(file, progress=advance))))
    _print_report(report, kind)
    if errors:
        errors.write_text(json.dumps([e.__dict__ for e in report.errors], ensure_ascii=False, indent=1))
    if report.failed:
        raise typer.Exit(code=ExitCode.ROWS_REJECTED)


Username = Annotated[str, typer.Argument(help="The account's login name")]


@user_app.command("create")
def user_create(
    username: Username,
    role: Annotated[list[Role], typer.Option(help="Role (repeatable)")],
    jurisdiction: Annotated[list[str], typer.Option(help="Division code (repeatable), e.g. 610100")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="Prompted for when not given")],
    inspector_id: Annotated[str | None, typer.Option(help="Staff id of the linked inspector")] = None,
) -> None:
    """Create a user account."""
    settings = load_settings()

    run_with_services(settings, lambda services: services.accounts.create_user(
        username=username, password=password, roles=list(role), jurisdictions=list(jurisdiction),
        inspector_id=inspector_id))
    typer.echo(f"created user {username}")


@user_app.command("disable")
def user_disable(username: Username) -> None:
    """Disable an account: its logins are refused and its tokens revoked."""
    run_with_services(load_settings(), lambda services: services.accounts.disable_user(username, actor="cli"))
    typer.echo(f"disabled user {username}; its tokens are revoked")


@user_app.command("enable")
def user_enable(username: Username) -> None:
    """Enable a disabled account again (tokens issued before it was disabled stay revoked)."""
    run_with_services(load_settings(), lambda services: services.accounts.enable_user(username, actor="cli"))
    typer.echo(f"enabled user {username}")


@user_app.command("password")
def user_password(
    username: Username,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="Prompted for when not given")],
) -> None:
    """Set a new password; every token issued before is revoked."""
    run_with_services(load_settings(),
                      lambda services: services.accounts.change_password(username, password, actor="cli"))
    typer.echo(f"changed the password of {username}; its tokens are revoked")


@user_app.command("unlock")
def user_unlock(username: Username) -> None:
    """Lift the account's login locks from every address."""
    run_with_services(load_settings(), lambda services: services.accounts.unlock_user(username, actor="cli"))
    typer.echo(f"unlocked user {username}")


@db_app.command("status")
def db_status() -> None:
    """Report the server, its version, and the collections with their counts."""
    status = run_with_services(load_settings(), lambda services: services.operations.status(), install_packs=False)
    typer.echo(f"server:      {status.server} {status.version}")
    typer.echo(f"replica set: {status.replica_set or '(none)'}")
    typer.echo(f"database:    {status.database}")
    for name, count in status.collections.items():
        typer.echo(f"  {name:24} {count:>10}")


@app.command()
def schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL")] = Path("docs/schema.graphql"),
) -> None:
    """Export the GraphQL schema (SDL)."""
    from api.graphql.schema import export_sdl

    output.write_text(export_sdl(load_settings()), encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command("error-codes")
def error_codes(
    doc: Annotated[Path, typer.Option(help="The page whose table of error codes to regenerate")] = Path("docs/api.md"),
) -> None:
    """Regenerate the table of error codes in docs/api.md from core/error_codes.py."""
    from api.error_docs import with_error_table

    try:
        doc.write_text(with_error_table(doc.read_text(encoding="utf-8")), encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise fail(f"{doc}: {exc}") from None
    typer.echo(f"wrote the error codes in {doc}")
