"""Loads the generated demo dataset and the demo logins (demo mode only; the commands go through ``DemoService``)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import resources

from core import progress
from core.accounts.service import AccountService
from core.cases.service import CaseService
from core.cases.settings import case_rules
from core.config import Settings
from core.db import Database
from core.demo import generator
from core.demo.cases import load_demo_cases
from core.demo.repository import DemoRepository
from core.demo.users import DEMO_PASSWORD, DEMO_USERS, SYSTEM
from core.fieldwork.checklists import ChecklistService
from core.registry.importing import EnterpriseImporter, import_inspector_rows
from core.registry.models import Matter
from core.registry.sources import SourceRow


def demo_logins() -> list[str]:
    return [f"{name:12} {', '.join(r.value for r in roles):12} {label}"
            for name, roles, _j, _i, label in DEMO_USERS]


def _source_rows(rows: Iterable[dict[str, str]]) -> Iterator[SourceRow]:
    return (SourceRow(number, dict(row)) for number, row in enumerate(rows, start=1))


async def load_demo(database: Database, settings: Settings, *, enterprises: int = 5000,
                    force: bool = False, cases: CaseService | None = None) -> str:
    """The demo registry, checklists and logins, then the demo cases through ``cases`` (the assembled service,
    so decided penalties reach the events; a plain one when not given)."""
    repository = DemoRepository(database)
    if not force and await repository.registry_holds_data():
        return "demo: the registry already holds data; nothing loaded (use --force to load anyway)"
    today = datetime.now(UTC).date()
    importer = EnterpriseImporter(database, actor="demo", progress=progress.advance)
    progress.phase("enterprises", enterprises)

    def rows() -> Iterator[SourceRow]:
        return _source_rows(generator.generate_enterprises(enterprises, today=today))

    report = await importer.run(rows(), rescan=rows)
    sample = [row["credit_code"] for row in itertools.islice(
        generator.generate_enterprises(enterprises, today=today), 0, enterprises, 7)]
    progress.phase("inspectors")
    inspectors = await import_inspector_rows(database, _source_rows(generator.generate_inspectors(
        enterprises, today=today, enterprise_codes_sample=sample)), progress=progress.advance)
    progress.phase("matters, logins, cases", 4)
    await repository.store_matters([Matter.model_validate(m) for m in generator.matters()])
    progress.advance(1)
    checklists = ChecklistService(database)
    template = json.loads(resources.files(__package__).joinpath("checklists.json").read_text(encoding="utf-8"))
    for matter in generator.matters():
        if await checklists.latest(matter["code"]) is None:
            await checklists.create_version(SYSTEM, matter=matter["code"], title=template["default"]["title"],
                                            items=template["default"]["items"])
    for code, checklist in template["targeted"].items():  # the checklists of targeted tasks, by kind
        if await checklists.latest(code) is None:
            await checklists.create_version(SYSTEM, matter=code, title=checklist["title"], items=checklist["items"])
    progress.advance(1)
    accounts = AccountService(database, settings)
    for username, roles, jurisdictions, inspector_id, label in DEMO_USERS:
        await accounts.create_user(username=username, password=DEMO_PASSWORD, roles=roles,
                                   jurisdictions=jurisdictions, inspector_id=inspector_id,
                                   display_name=label, replace=True)
    progress.advance(1)
    with progress.muted():  # a case's penalty re-decides its enterprise: not a phase of its own
        case_count = await load_demo_cases(database, cases or CaseService(database, case_rules(settings)))
    progress.advance(1)
    return (f"demo: {report.inserted} enterprises, {inspectors.inserted} inspectors, "
            f"{len(generator.matters())} matters, {case_count} cases, {len(DEMO_USERS)} logins loaded")
