"""``ecoinspect plan …`` and ``ecoinspect verify-draw``: the draw cycle from the command line."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from api.assembly import build_services
from api.cli.exit_codes import ExitCode
from api.cli.runtime import fail, load_settings, run_action
from api.context import Services
from core.accounts.models import Viewer
from core.accounts.roles import ADMINS
from core.reference import tables
from scheduler.verification import verify

plan_app = typer.Typer(help="Random-check plans: create, freeze, draw, publish, cancel, export.", no_args_is_help=True)
OPERATOR = Viewer(username="cli", roles=ADMINS, jurisdictions=(tables.root_code(),))
T = TypeVar("T")


PlanId = Annotated[str, typer.Argument(help="The plan id (createPlan or plan create prints it)")]


def _call(use_case: Callable[[Services], Awaitable[T]]) -> T:
    """One service call on the configured database, with the services the app uses (``build_services``)."""
    return run_action(lambda db: use_case(build_services(db, load_settings())))


@plan_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="The plan's name, published with it")],
    jurisdiction: Annotated[str, typer.Option(help="Division code, e.g. 610100")],
    start: Annotated[str, typer.Option(help="Period start, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="Period end, YYYY-MM-DD")],
    matter: Annotated[list[str], typer.Option(help="Matter code (repeatable)")],
    ratio: Annotated[list[str] | None, typer.Option(help="stratum=ratio, e.g. key=0.25 (repeatable)")] = None,
) -> None:
    """Create a draft plan and print its id."""
    try:
        ratios = {k: float(v) for k, v in (item.split("=", 1) for item in ratio or [])}
        data: dict[str, Any] = {"name": name, "jurisdiction": jurisdiction, "matters": matter,
                                "period_start": date.fromisoformat(start), "period_end": date.fromisoformat(end)}
    except ValueError as exc:
        raise fail(f"bad option: {exc}") from None
    if ratios:
        data["ratios"] = ratios
    plan = _call(lambda services: services.plans.create(OPERATOR, data, request_id="cli"))
    typer.echo(plan.id)


@plan_app.command("freeze")
def freeze(
    plan_id: PlanId,
    draw_number: Annotated[str | None, typer.Option(help="Issue (期号) of the announced public event")] = None,
) -> None:
    """Commit the population and the inspector pool, announce the public value, print the commitment."""
    plan = _call(lambda services: services.draws.freeze(OPERATOR, plan_id, request_id="cli", draw_number=draw_number))
    typer.echo(f"frozen: {plan.population_size} objects, strata {plan.stratum_sizes}, quotas {plan.quotas}")
    typer.echo(f"population hash: {plan.population_hash}")
    typer.echo(f"commitment:      {plan.commitment}")
    if plan.announcement:
        _announce(plan.announcement)


def _announce(announcement: dict[str, Any]) -> None:
    typer.echo(f"public value:    {announcement['source']} of {announcement['event_at']}"
               + (f" (issue {announcement['draw_number']})" if announcement.get("draw_number") else ""))
    typer.echo(f"format:          {announcement['pattern']}")
    typer.echo(f"draw from:       {announcement['earliest_draw']}")


@plan_app.command("draw")
def draw(
    plan_id: PlanId,
    public_value: Annotated[str, typer.Option(help="The value announced at freeze, in its canonical format")] = "",
) -> None:
    """Draw objects, then inspectors; print the result."""
    result = _call(lambda services: services.draws.draw(OPERATOR, plan_id, public_value=public_value,
                                                        request_id="cli")).draw
    typer.echo(f"draw {result.id}: {result.drawn_count} objects, {result.staffed_count} staffed, "
               f"{len(result.unstaffed)} unstaffed; seed {result.seed}")
    for code, reason in sorted(result.unstaffed.items()):
        typer.echo(f"  unstaffed {code}: {reason}")


@plan_app.command("file-redraw")
def file_redraw(
    plan_id: PlanId,
    credit_code: Annotated[str, typer.Option(help="The task's enterprise")],
    kind: Annotated[str, typer.Option(help="object or inspector")],
    reason: Annotated[str, typer.Option(help="Why; published with the replacement")],
    staff_id: Annotated[str | None, typer.Option(help="The inspector to replace (kind inspector)")] = None,
) -> None:
    """File a replacement: the server numbers it and announces the public value that will draw it."""
    filed = _call(lambda services: services.redraws.file(OPERATOR, plan_id, credit_code=credit_code.strip().upper(),
                                                         kind=kind, reason=reason, staff_id=staff_id,
                                                         request_id="cli")).record
    typer.echo(f"filed replacement {filed['number']} ({filed['_id']})")
    _announce(filed["announcement"])


@plan_app.command("complete-redraw")
def complete_redraw(
    plan_id: PlanId,
    public_value: Annotated[str, typer.Option(help="The announced value, in its canonical format")],
) -> None:
    """Complete the plan's filed replacement with its announced public value; print what it drew."""
    done = _call(lambda services: services.redraws.complete(OPERATOR, plan_id, public_value=public_value,
                                                            request_id="cli")).record
    drew = f"object {done['replacement']}, " if done.get("replacement") else ""
    typer.echo(f"replacement {done['number']}: {drew}team {', '.join(done['team']) or '-'}"
               + (f", unstaffed {done['unstaffed']}" if done.get("unstaffed") else ""))


@plan_app.command("publish")
def publish(plan_id: PlanId) -> None:
    """Publish the plan's draw (一公开)."""
    _call(lambda services: services.draws.publish(OPERATOR, plan_id, request_id="cli"))
    typer.echo(f"published the draw of plan {plan_id}")


@plan_app.command("cancel")
def cancel(plan_id: PlanId, reason: Annotated[str, typer.Option(help="Why; published with the plan")]) -> None:
    """Cancel a frozen plan (or a drawn one on which no work has started); it stays public with the reason."""
    plan = _call(lambda services: services.draws.cancel(OPERATOR, plan_id, reason=reason, request_id="cli"))
    typer.echo(f"cancelled plan {plan.id}: {plan.cancellation_reason}")


@plan_app.command("export")
def export(plan_id: PlanId, output: Annotated[Path, typer.Option(help="Where to write the draw document")]) -> None:
    """Write the draw document that `ecoinspect verify-draw` checks."""
    document = _call(lambda services: services.draws.document(OPERATOR, plan_id))
    if document is None:
        raise fail(f"plan {plan_id} has not been drawn")
    output.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    typer.echo(f"wrote {output}")


@plan_app.command("coverage")
def coverage(
    jurisdiction: Annotated[str, typer.Option(help="Division code, e.g. 610100")],
    cycle: Annotated[int, typer.Option(help="The year the supervision cycle starts")],
    first: Annotated[int, typer.Option(help="How many enterprises not inspected to list (1-100)")] = 50,
    after: Annotated[str | None, typer.Option(help="Cursor printed by the previous page")] = None,
) -> None:
    """Per supervision class, the enterprises a double-random inspection reached in the cycle, and those it did not."""
    report = _call(lambda services: services.coverage.report(OPERATOR, jurisdiction, cycle, first=first, after=after))
    typer.echo(f"coverage of {report.jurisdiction}, {report.cycle_start} to {report.cycle_end}")
    for row in report.classes:
        typer.echo(f"{row.supervision_class:8} {row.inspected:6} of {row.enterprises:6} inspected ({row.share:.1%})")
    typer.echo(f"not inspected in the cycle: {report.uninspected_total}")
    for item in report.uninspected:
        typer.echo(f"{item.credit_code}\t{item.supervision_class}\t{item.jurisdiction}\t{item.name}")
    if report.has_next:
        typer.echo(f"next page: --after {report.cursors[-1]}")


def verify_draw(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                     help="A draw document (/public/draws/ID.json)")]) -> None:
    """Re-compute a published draw from its document alone; exit 1 on any mismatch."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        checks = verify(document)
    except (ValueError, KeyError, TypeError) as exc:
        raise fail(f"{file} is not a readable draw document: {exc!r}") from None
    for check in checks:
        typer.echo(f"{'OK  ' if check.ok else 'FAIL'} {check.name:20} {check.detail}")
    if not all(check.ok for check in checks):
        typer.secho("the draw does NOT match its document", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=ExitCode.FAILED)
    typer.echo("the draw matches its document")
