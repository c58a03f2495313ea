"""The demo through its service, as ``ecoinspect demo`` and ``serve --demo`` use it: loaded once, then decided."""

from __future__ import annotations

from api.assembly import build_services
from core.config import Settings
from core.db import Database
from core.demo.users import DEMO_USERS
from core.policies.repository import DECISIONS


async def test_load_if_empty_loads_once_and_the_policies_decide(database: Database, settings: Settings) -> None:
    services = build_services(database, settings)
    await services.policies.install_default_packs()  # as the app does before on_ready
    first = await services.demo.load_if_empty(enterprises=300)
    assert first.summary.startswith("demo: 300 enterprises") and f"{len(DEMO_USERS)} logins" in first.summary
    assert first.decisions > 0
    assert await database[DECISIONS].count_documents({}) == 300  # every enterprise has its decisions
    again = await services.demo.load_if_empty(enterprises=300)
    assert "already holds data" in again.summary
    assert await database["enterprises"].count_documents({}) == 300
    forced = await services.demo.load(enterprises=300, force=True)
    assert forced.startswith("demo: 0 enterprises")  # the same generated rows: nothing new to insert
