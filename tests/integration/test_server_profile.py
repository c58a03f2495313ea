"""The one capability check (``ServerProfile``): detected from the server, and both page-reading paths agree."""

from __future__ import annotations

import os

import pytest

from api.assembly import build_services
from core.accounts.models import Role, Viewer
from core.config import Settings
from core.db import Database, ServerProfile
from core.registry.models import EnterpriseFilter

PROVINCE = Viewer(username="p", roles=frozenset({Role.SUPERVISOR}), jurisdictions=("610000",))


async def test_the_profile_is_read_from_the_server(database: Database) -> None:
    # tests/conftest.py runs the suite on the embedded server unless TEST_MONGODB_URI names a MongoDB.
    assert database.profile.secantus is (not os.environ.get("TEST_MONGODB_URI"))
    assert database.profile.limit_pushdown is (not database.profile.secantus)
    assert database.profile.version


async def _all_pages(database: Database, settings: Settings, where: EnterpriseFilter) -> list[list[str]]:
    registry, pages, after = build_services(database, settings).registry, [], None
    while True:
        page = await registry.list_enterprises(PROVINCE, first=3, after=after, where=where)
        pages.append([e.credit_code for e in page.items])
        if not page.has_next:
            return pages
        after = page.end_cursor


@pytest.mark.parametrize("where", [EnterpriseFilter(), EnterpriseFilter(jurisdiction="610300")])
async def test_pages_are_the_same_with_and_without_limit_pushdown(database: Database, settings: Settings,
                                                                  where: EnterpriseFilter) -> None:
    await build_services(database, settings).demo.load(enterprises=80)
    database.profile = ServerProfile(secantus=True)
    windowed = await _all_pages(database, settings, where)
    database.profile = ServerProfile(secantus=False)  # one query per page: valid on any server, cheap on MongoDB
    pushed = await _all_pages(database, settings, where)
    assert pushed == windowed
    assert sum(len(page) for page in pushed) == len({code for page in pushed for code in page}) > 3
