"""ecoinspect alerts|leads|complaints|hotspot|flight: the non-site records from the command line (as the operator)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from api.cli.meters import SYSTEM
from api.cli.runtime import fail, load_settings, run_with_services
from api.context import Services

alerts_app = typer.Typer(help="Power-usage alerts: list them, record a lead, make a verification task.",
                         no_args_is_help=True)
leads_app = typer.Typer(help="Leads on enterprises: list, convert to a task, dismiss.", no_args_is_help=True)
complaints_app = typer.Typer(help="Complaints (12369 and others): record, list.", no_args_is_help=True)
hotspot_app = typer.Typer(help="Hotspot-grid alerts (3 km cells).", no_args_is_help=True)
T = TypeVar("T")

flight_app = typer.Typer(help="Drone flights: record a GPX or CSV track.", no_args_is_help=True)


AlertId = Annotated[str, typer.Argument(help="The power alert's id (alerts list)")]
LeadId = Annotated[str, typer.Argument(help="The lead's id (leads list)")]
Version = Annotated[int, typer.Option(help="The lead's version as listed (a stale one is refused)")]


def _run(action: Callable[[Services], Awaitable[T]]) -> T:
    """One call into the services the app has (``build_services``: the same hooks)."""
    return run_with_services(load_settings(), action)


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


@alerts_app.command("list")
def list_alerts(all_: Annotated[bool, typer.Option("--all", help="Closed ones too")] = False,
                credit_code: Annotated[str | None, typer.Option(help="One enterprise's history")] = None) -> None:
    """Power alerts, newest first, one line each: id, enterprise, kind, severity, stage, age, task, lead."""
    found = _run(lambda s: s.power_alerts.list_alerts(SYSTEM, open_only=not all_,
                                                                    credit_code=credit_code))
    now = datetime.now(UTC)
    for alert in found:
        age = (now - alert.created_at.replace(tzinfo=UTC)).total_seconds() / 3600
        typer.echo(f"{alert.id} {alert.credit_code} {alert.kind.value} {alert.severity} {alert.stage.value} "
                   f"{age:.1f}h task={alert.task_id or '-'} lead={alert.lead_id or '-'}")


@alerts_app.command("lead")
def alert_lead(alert_id: AlertId,
               summary: Annotated[str, typer.Option(help="What the lead is about (default: the alert's)")] = ""
               ) -> None:
    """Record the alert's lead on its enterprise (once per alert)."""
    lead, created = _run(lambda s: s.leads.record_for_alert(SYSTEM, alert_id, summary=summary))
    _echo({"lead": lead.id, "status": lead.status.value, "created": created})


@alerts_app.command("task")
def alert_task(alert_id: AlertId) -> None:
    """A targeted verification task for the alert's enterprise (once per alert)."""
    _echo({"task": _run(lambda s: s.power_alerts.create_task(SYSTEM, alert_id))})


@leads_app.command("list")
def list_leads(status: Annotated[str | None, typer.Option(help="open, converted or dismissed")] = None,
               credit_code: Annotated[str | None, typer.Option(help="One enterprise's leads")] = None) -> None:
    """List leads with their source and task (one line each)."""
    for lead in _run(lambda s: s.leads.list_leads(SYSTEM, status=status, credit_code=credit_code)):
        typer.echo(f"{lead.id} {lead.credit_code} {lead.status.value} v{lead.version} {lead.source}:{lead.source_id} "
                   f"task={lead.task_id or '-'} {lead.summary}")


@leads_app.command("convert")
def convert_lead(lead_id: LeadId, version: Version) -> None:
    """Turn an open lead into the on-site verification task."""
    lead = _run(lambda s: s.leads.convert(SYSTEM, lead_id, version=version))
    _echo({"lead": lead.id, "status": lead.status.value, "task": lead.task_id})


@leads_app.command("dismiss")
def dismiss_lead(lead_id: LeadId, version: Version,
                 reason: Annotated[str, typer.Option(help="Why the lead is dismissed (kept with it)")]) -> None:
    """Close an open lead without a visit."""
    lead = _run(lambda s: s.leads.dismiss(SYSTEM, lead_id, version=version, reason=reason))
    _echo({"lead": lead.id, "status": lead.status.value})


@complaints_app.command("record")
def record_complaint(content: Annotated[str, typer.Option(help="What the complainant reports")],
                     jurisdiction: Annotated[str, typer.Option(help="Division code where it happens")],
                     channel: Annotated[str, typer.Option(help="How it came in: 12369, web, letter, ...")] = "12369",
                     credit_code: Annotated[str | None, typer.Option(help="The enterprise complained about")] = None,
                     complaint_id: Annotated[str | None, typer.Option("--id", help="Idempotency key (UUID)")] = None,
                     ) -> None:
    """Record a complaint received now; a known enterprise gets a targeted task."""
    data = {"id": complaint_id or str(uuid.uuid4()), "channel": channel, "received_at": datetime.now(UTC),
            "jurisdiction": jurisdiction, "content": content, "credit_code": credit_code}
    doc, created = _run(lambda s: s.complaints.record_complaint(SYSTEM, data))
    _echo({"complaint": doc["_id"], "task": doc.get("task_id"), "created": created})


@complaints_app.command("list")
def list_complaints(status: Annotated[str | None, typer.Option(help="received, founded or unfounded")] = None
                    ) -> None:
    """List complaints with their status, enterprise and task (one line each)."""
    for doc in _run(lambda s: s.complaints.complaints(SYSTEM, status=status)):
        typer.echo(f"{doc['_id']} {doc.get('status')} {doc.get('credit_code') or '-'} task={doc.get('task_id') or '-'}"
                   f" {str(doc.get('content'))[:60]}")


@hotspot_app.command("record")
def record_hotspot(cell_id: Annotated[str, typer.Argument(help="The grid cell's id")],
                   pm25: Annotated[float, typer.Option(help="PM2.5 of the cell, µg/m³")],
                   jurisdiction: Annotated[str, typer.Option(help="Division code of the cell")],
                   day: Annotated[str | None, typer.Option("--date", help="Default today (UTC)")] = None) -> None:
    """A hotspot-grid alert and its grid-level task (one per cell and day)."""
    try:
        when = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError:
        raise fail(f"--date {day} is not a date (YYYY-MM-DD)") from None
    data = {"cell_id": cell_id, "date": when, "pm25": pm25, "jurisdiction": jurisdiction}
    doc, created = _run(lambda s: s.complaints.record_hotspot(SYSTEM, data))
    _echo({"hotspot": doc["_id"], "task": doc.get("task_id"), "created": created})


@flight_app.command("record")
def record_flight(track: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                     help="The flight's track log (docs/nonsite.md)")],
                  jurisdiction: Annotated[str, typer.Option(help="Division code flown over")],
                  flight_id: Annotated[str | None, typer.Option("--id", help="Idempotency key (UUID)")] = None,
                  radius_m: Annotated[float, typer.Option(help="Enterprises within this distance of the track")]
                  = 200.0) -> None:
    """Record a flight from a GPX or CSV (time, lat, lon, alt) track: the sites it passed."""
    data = {"id": flight_id or str(uuid.uuid4()), "jurisdiction": jurisdiction,
            "format": "gpx" if track.suffix.lower() == ".gpx" else "csv",
            "track": track.read_text(encoding="utf-8", errors="replace"), "radius_m": radius_m}
    doc, created = _run(lambda s: s.drones.record(SYSTEM, data))
    _echo({"flight": doc["_id"], "created": created, "passes": doc.get("passes"), "problems": doc.get("problems")})
