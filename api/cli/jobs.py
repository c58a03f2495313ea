"""``ecoinspect scheduler …``: run the periodic jobs, and add plan templates."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from api.assembly import build_jobs
from api.cli.runtime import fail, load_settings, open_database, run_with_services
from api.context import Services
from api.logs import configure

scheduler_app = typer.Typer(help="Periodic jobs with leases: plans from templates, publication notices, policy "
                                 "re-decisions, overdue cases, audit chaining and retention.",
                            no_args_is_help=True)


@scheduler_app.command("run")
def run(
    once: Annotated[bool, typer.Option(help="Run the due jobs once and exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds")] = 300.0,
) -> None:
    """Run the periodic jobs; safe to start on several replicas (each job takes a lease)."""
    settings = load_settings()
    configure(settings.log_level, as_json=settings.log_json)
    owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"

    async def main() -> None:
        async with open_database(settings) as database:
            jobs = build_jobs(database, settings)
            while True:
                for result in await jobs.run_due(owner):
                    typer.echo(f"{datetime.now(UTC).isoformat(timespec='seconds')} {result.job}: "
                               f"{'ran' if result.ran else 'skipped'} {result.detail}")
                if once:
                    return
                await asyncio.sleep(interval)

    asyncio.run(main())


@scheduler_app.command("add-template")
def add_template(
    name: Annotated[str, typer.Option(help="Name of the template; each plan made from it is named after it")],
    jurisdiction: Annotated[str, typer.Option(help="Division code, e.g. 610100")],
    matter: Annotated[list[str], typer.Option(help="Matter code (repeatable)")],
    cadence: Annotated[str, typer.Option(help="quarterly, half_yearly or yearly")] = "quarterly",
    ratio: Annotated[list[str] | None, typer.Option(help="stratum=ratio (repeatable)")] = None,
) -> None:
    """Add a plan template; the scheduler creates a draft plan from it each period."""
    template: dict[str, Any] = {"name": name, "jurisdiction": jurisdiction, "matters": matter}
    try:
        if ratio:
            template["ratios"] = {k: float(v) for k, v in (item.split("=", 1) for item in ratio)}
    except ValueError as exc:
        raise fail(f"bad --ratio: {exc}") from None

    async def add(services: Services) -> str:
        try:
            return await services.plans.add_template(template, cadence)
        except ValueError as exc:
            raise fail(str(exc).splitlines()[0]) from None

    typer.echo(run_with_services(load_settings(), add))
