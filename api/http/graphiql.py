"""GraphiQL from the project's own files, in dev mode only: the page, and the bundles `make web` builds from npm."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from core.config import Settings

STATIC = Path(__file__).resolve().parents[1] / "static" / "graphiql"  # built by web/build.sh, git-ignored
PREFIX = "/graphiql"
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
STYLE = "graphiql.min.css"

_START = """
const fetcher = GraphiQL.createFetcher({url: "/graphql"});
const defaultQuery = `# Public fields (matters, publishedPlans, ...) need no login. For the others, POST /auth/token
# (username, password) and put {"Authorization": "Bearer <access_token>"} in Headers below.
{
  matters { code name }
}
`;
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {fetcher, defaultQuery, defaultEditorToolsVisibility: true}));
"""

_MISSING = """<p style="font-family:sans-serif;margin:2em">GraphiQL's files are not built on this server:
run <code>make web</code> (npm ci in web/). POST queries to this URL work without them.</p>"""


def page() -> str:
    """The GraphiQL page; a one-line explanation instead when the files were not built."""
    head = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ecoinspect GraphiQL</title>'
    if not all((STATIC / name).is_file() for name in (*SCRIPTS, STYLE)):
        return f"{head}</head><body>{_MISSING}</body></html>"
    scripts = "".join(f'<script src="{PREFIX}/{name}"></script>' for name in SCRIPTS)
    return (f'{head}<link rel="stylesheet" href="{PREFIX}/{STYLE}"></head>'
            f'<body style="margin:0"><div id="graphiql" style="height:100vh"></div>{scripts}'
            f"<script>{_START}</script></body></html>")


def routes(settings: Settings) -> list[BaseRoute]:
    """The bundles under /graphiql/ (with their licences, LICENSES.md), in dev mode; nothing in production."""
    if settings.production:
        return []
    return [Mount(PREFIX, app=StaticFiles(directory=STATIC, check_dir=False), name="graphiql")]
