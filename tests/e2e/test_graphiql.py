"""GraphiQL in real headless Chromium with no network but the server: it loads from the project's own files
(built from npm by `make web`), runs a query and shows the data."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from live_server import live_server, live_settings, on_database
from playwright.sync_api import Route, sync_playwright
from secantus import SecantusDBServer

from api.http.graphiql import STATIC
from core.demo import generator
from core.registry.models import Matter
from core.registry.repository import MatterRepository

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def base(db_server: SecantusDBServer) -> Iterator[str]:
    assert (STATIC / "graphiql.min.js").is_file(), f"{STATIC} is not built: `make web`"
    settings = live_settings(db_server)
    matters = [Matter.model_validate(m) for m in generator.matters()]
    on_database(settings, lambda database: MatterRepository(database).upsert_many(matters))
    with live_server(settings) as url:
        yield url


def test_graphiql_runs_a_query_offline(base: str) -> None:
    page_html = httpx.get(f"{base}/graphql", headers={"accept": "text/html"}).text
    assert "unpkg" not in page_html and "/graphiql/graphiql.min.js" in page_html
    assert httpx.get(f"{base}/graphiql/LICENSES.md").status_code == 200
    own = urlsplit(base).netloc
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/graphql")
            page.wait_for_selector(".graphiql-execute-button", timeout=30_000)
            page.click(".graphiql-execute-button")
            result = page.locator(".result-window")
            result.get_by_text('"STJ-WRY-02"').wait_for(timeout=30_000)
            assert "一般排污单位" in result.inner_text()
            assert errors == []
        finally:
            browser.close()
    assert elsewhere == []
