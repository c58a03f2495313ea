"""ecoinspect meters: register sub-meters, import readings, generate the demo week, scan for anomalies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from api.cli.exit_codes import ExitCode
from api.cli.progress import bars, count_rows
from api.cli.runtime import fail, load_settings, run_with_services
from api.context import Services
from core.accounts.models import Viewer
from core.accounts.roles import ADMINS
from core.reference import tables
from core.registry.sources import SourceError, open_rows

meters_app = typer.Typer(help="Electricity sub-meters: register, import readings, scan for anomalies.",
                         no_args_is_help=True)
SYSTEM = Viewer(username="cli", roles=ADMINS, jurisdictions=(tables.root_code(),))


def _report(report: Any) -> None:
    typer.echo(f"{report.received} readings, {report.accepted} accepted, {report.buckets_created} day buckets "
               f"created, {report.buckets_changed} changed, {len(report.errors)} rejected")
    for error in report.errors[:20]:
        typer.echo(f"  row {error.row} {error.field}: [{error.code}] {error.message}")


@meters_app.command("register")
def register(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON of meters")]) -> None:
    """Register sub-meters from CSV/JSON: meter_id, credit_code, role, unit, rated_kw."""
    rows = [dict(r.values) for r in open_rows(file, ["meter_id", "credit_code", "role", "rated_kw"])]
    inserted, updated, errors = run_with_services(load_settings(), lambda services: services.meters.register(
        SYSTEM, rows))
    typer.echo(f"{inserted} meters registered, {updated} updated, {len(errors)} rejected")
    if errors:
        raise typer.Exit(code=ExitCode.ROWS_REJECTED)


@meters_app.command("import")
def import_readings(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                        help="CSV or JSON lines of readings")]) -> None:
    """Import readings (CSV or JSON lines: meter, timestamp, kw and/or kwh). Re-importing changes nothing."""

    async def action(services: Services) -> Any:
        try:
            return await services.meters.ingest(SYSTEM, open_rows(file, ["meter", "timestamp"]))
        except SourceError as exc:
            raise fail(f"{file}: [{exc.code}] {exc}") from None

    settings = load_settings()
    with bars("readings", count_rows(file)):
        report = run_with_services(settings, action)
    _report(report)
    if report.errors:
        raise typer.Exit(code=ExitCode.ROWS_REJECTED)


@meters_app.command("demo")
def demo(enterprises: Annotated[int, typer.Option(help="Xi'an enterprises to meter")] = 20,
         start: Annotated[str | None, typer.Option(help="First day (UTC), default 7 days ago")] = None) -> None:
    """Meter demo enterprises in Xi'an and load a week of readings with known problems (see core/demo/meters)."""
    first = date.fromisoformat(start) if start else datetime.now(UTC).date() - timedelta(days=7)

    settings = load_settings()
    with bars():
        codes, report = run_with_services(settings, lambda services: services.demo.load_meters(
            SYSTEM, enterprises=enterprises, start=first))
    typer.echo(f"metered {len(codes)} Xi'an enterprises; problems: treatment off {codes[0]}, night shift "
               f"{codes[1]}, ignores alerts {codes[2]}, halted one day {codes[3]}")
    _report(report)


@meters_app.command("scan")
def scan_command(jurisdiction: Annotated[str, typer.Option(help="Division code whose metered enterprises to scan")]
                 = "610100",
                 start: Annotated[str | None, typer.Option(help="First UTC day, default 7 days ago")] = None,
                 days: Annotated[int, typer.Option(help="How many days from the first")] = 7,
                 as_json: Annotated[bool, typer.Option("--json", help="One JSON object for scripts")] = False) -> None:
    """Scan metered enterprises for anomalies; new ones become power alerts (rescans add nothing twice)."""
    first = date.fromisoformat(start) if start else datetime.now(UTC).date() - timedelta(days=7)

    scanned = run_with_services(load_settings(), lambda services: services.power_scan.scan(
        scopes=[jurisdiction], start=first, days=days))
    if as_json:
        typer.echo(json.dumps(scanned, ensure_ascii=False))
        return
    table = Table("enterprise", "anomaly", "severity", "from (UTC)", "to (UTC)", "minutes", box=box.SIMPLE)
    for anomaly in scanned["found"]:
        table.add_row(anomaly["credit_code"], anomaly["kind"], anomaly["severity"], _minute(anomaly["starts_at"]),
                      _minute(anomaly["ends_at"]), str(anomaly["minutes"]))
    if scanned["found"]:
        Console(width=120).print(table)
    typer.echo(f"{scanned['enterprises']} enterprises scanned, {scanned['anomalies']} anomalies, "
               f"{scanned['created']} new power alerts (policy {scanned.get('policy_version') or '-'})")


def _minute(iso: str) -> str:
    return iso[:16].replace("T", " ")
