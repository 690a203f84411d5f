"""The ASGI application: routers, error handling, middleware."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tocsin import __version__
from tocsin.bootstrap import Tocsin
from tocsin.web import change_ingest, docs, errors, ingest, opsgenie_requests
from tocsin.web.api import ops
from tocsin.web.api.v1 import (
    alerts,
    audit,
    catalog,
    changes,
    channels,
    contacts,
    deliveries,
    directory,
    heartbeats,
    incidents,
    oncall,
    problems,
    reports,
    reviews,
    sla,
)
from tocsin.web.front import Front
from tocsin.web.metrics import Metrics
from tocsin.web.middleware import RequestMiddleware
from tocsin.web.sessions import SessionCodec

MAX_BODY = 1024 * 1024


def create_app(tocsin: Tocsin) -> Front:
    """The ASGI app: the senders' routes answered by `Front`, the rest by FastAPI."""
    app = FastAPI(
        title="Tocsin",
        version=__version__,
        description="Self-hosted incident management. Authenticate with "
        "`Authorization: Bearer <token>`; create a token with `tocsin token create EMAIL`.",
        docs_url=None,  # web/docs.py serves it from local assets
        openapi_url="/openapi.json",
        redoc_url=None,
        # No OpenTelemetry here: with it on, FastAPI asks the OpenTelemetry providers on
        # every request whether they are configured, a cost every ingest request would pay
        # for tracing Tocsin does not do.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.tocsin = tocsin
    app.state.sessions = SessionCodec(
        tocsin.secret_key, max_age=tocsin.settings.session_max_age_seconds
    )
    app.state.metrics = Metrics()
    errors.install(app)
    routers = (
        ops.router,
        alerts.router,
        incidents.router,
        directory.router,
        catalog.router,
        audit.router,
        sla.router,
        oncall.router,
        oncall.feeds,
        heartbeats.router,
        contacts.router,
        channels.router,
        deliveries.router,
        changes.router,
        change_ingest.router,
        opsgenie_requests.router,
        problems.router,
        reviews.router,
        reports.router,
    )
    for router in routers:
        app.include_router(router)
    # The senders' routes, built from the registry as it is now (a type registered later is
    # served by the next app built).
    sender_routes = ingest.build_routes()
    app.router.routes.extend(sender_routes)
    docs.install(app, openapi_url="/openapi.json")
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = ingest.document(build_schema(), sender_routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    from tocsin.web.ui import routes as ui

    app.include_router(ui.router)
    ui.mount_static(app)
    app.add_middleware(RequestMiddleware, metrics=app.state.metrics, max_body=MAX_BODY)
    return Front(
        app,
        sender_routes,
        metrics=app.state.metrics,
        max_body=MAX_BODY,
        trusted_proxies=tocsin.settings.trusted_proxies,
    )
