"""The Starlette application; its lifespan owns the database and the services."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from api.assembly import build_services
from api.graphql.schema import build_schema
from api.http import graphiql
from api.http.audit import AUDIT_ROUTES
from api.http.auth import token
from api.http.case_documents import CASE_DOCUMENT_ROUTES
from api.http.evidence import EVIDENCE_ROUTES
from api.http.flights import FLIGHT_ROUTES
from api.http.graphql_endpoint import GraphQLEndpoint
from api.http.health import healthz, readyz
from api.http.meters import METER_ROUTES
from api.http.metrics import metrics
from api.http.middleware import RequestContextMiddleware
from api.http.public import public_draw_document, public_penalties
from api.http.records import RECORD_ROUTES
from api.http.tus import TUS_ROUTES
from api.http.unavailable import UNAVAILABLE_HANDLERS
from api.public import positive_list as public_positive_list
from api.public import views
from core.config import Settings
from core.db import Database
from core.schema import collections
from core.supervision import Supervisor

log = logging.getLogger(__name__)
OnReady = Callable[[Database], Awaitable[None]]


def _cors(settings: Settings) -> Middleware:
    """Browsers on ECOINSPECT_CORS_ORIGINS may call the API; every other origin's preflight is refused (400)
    and its responses carry no Access-Control-Allow-Origin. Tokens travel in Authorization, not cookies, so no
    credentials mode."""
    return Middleware(CORSMiddleware, allow_origins=settings.cors_origin_list,
                      allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                      allow_headers=["*"], expose_headers=EXPOSED_HEADERS, max_age=600)


# What a browser script may read of an answer: ids for support, back-off, upload positions (tus clients read the
# Upload-* and Tus-* headers).
EXPOSED_HEADERS = ["X-Request-Id", "Retry-After", "Location", "Range", "Upload-Offset", "Upload-Length",
                   "Upload-Expires", "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size"]


async def prepare(database: Database, settings: Settings | None = None) -> None:
    """Wait for the database and create the collections and indexes (idempotent); without ``settings``, the
    defaults and the environment (tests, benchmarks)."""
    await database.wait_ready()
    await database.ensure_schema(collections(settings if settings is not None else Settings()))


def create_app(
    settings: Settings, *, database: Database | None = None, on_ready: OnReady | None = None
) -> RequestContextMiddleware:
    """Build the app: Starlette (``.app``) in the request-context middleware. Without ``database`` the lifespan
    opens (and closes) one from settings."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = database is None
        db = Database.from_settings(settings) if database is None else database
        # An embedded database that dies is restarted on its port; requests meanwhile answer UNAVAILABLE.
        supervisor = Supervisor(db.embedded) if db.embedded is not None else None
        if supervisor is not None:
            supervisor.start()
        audit = None
        try:
            await prepare(db, settings)
            app.state.database = db
            app.state.settings = settings
            app.state.services = build_services(db, settings)
            app.state.accounts = app.state.services.accounts
            app.state.registry = app.state.services.registry
            # Request-level audit entries are queued and written by this task; stopping it writes the rest.
            audit = app.state.services.audit
            audit.start()
            await app.state.services.policies.install_default_packs()
            if on_ready is not None:
                await on_ready(db)
            yield
        finally:
            if audit is not None:
                await audit.stop()
            if supervisor is not None:
                await supervisor.stop()
            if owned:
                await db.close()

    schema = build_schema(settings)
    app = Starlette(
        routes=[
            Route("/graphql", GraphQLEndpoint(schema).handle, methods=["GET", "POST"]),
            Route("/auth/token", token, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/public/draws/{draw_id}.json", public_draw_document),
            Route("/public/penalties.{fmt:str}", public_penalties),
            Route("/public", views.index),
            Route("/public/verify", views.verify_page),
            Route("/public/positive-list", public_positive_list.page),
            Route("/public/positive-list/{what:str}.{fmt:str}", public_positive_list.download),
            Route("/public/plans/{plan_id}.json", views.plan_json),
            Route("/public/plans/{plan_id}", views.plan_page),
            Route("/public/plans/{plan_id}/{what:str}.{fmt:str}", views.download),
            *RECORD_ROUTES,
            *CASE_DOCUMENT_ROUTES,
            *EVIDENCE_ROUTES,
            *TUS_ROUTES,
            *METER_ROUTES,
            *FLIGHT_ROUTES,
            *AUDIT_ROUTES,
            *graphiql.routes(settings),
        ],
        lifespan=lifespan,
        exception_handlers=UNAVAILABLE_HANDLERS,
        middleware=[_cors(settings)],
    )
    app.state.schema = schema
    return RequestContextMiddleware(app, max_body_bytes=settings.max_body_bytes)
