"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from tocsin.bootstrap import Tocsin
from tocsin.core.errors import NotAuthenticated
from tocsin.db import migrate
from tocsin.web.access import PUBLIC, AppDep
from tocsin.web.metrics import Metrics

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[PUBLIC], summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", dependencies=[PUBLIC], summary="The database is reachable and its schema current"
)
def readyz(app: AppDep, response: Response) -> dict[str, str]:
    try:
        with app.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.is_current(app.db.engine)
    except Exception as exc:  # any database failure means "not ready"
        response.status_code = 503
        return {"status": "unavailable", "detail": f"database unreachable: {type(exc).__name__}"}
    if not current:
        response.status_code = 503
        return {
            "status": "unavailable",
            "detail": "database schema is not current; run `tocsin db upgrade`",
        }
    return {"status": "ok"}


@router.get(
    "/metrics",
    dependencies=[PUBLIC],
    response_class=PlainTextResponse,
    summary="Prometheus metrics (business figures too with the metrics token)",
)
def metrics(app: AppDep, request: Request) -> Response:
    metrics_: Metrics = request.app.state.metrics
    token = app.settings.metrics_token
    if token:
        _check_metrics_token(app, request, token)
    metrics_.refresh(app)
    body = generate_latest(metrics_.registry)
    if token:
        metrics_.refresh_business(app)
        body += generate_latest(metrics_.business)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _check_metrics_token(app: Tocsin, request: Request, token: str) -> None:
    """The scraper's `Authorization: Bearer <metrics token>`: compared in constant time,
    never looked up as an API token (a user's token opens nothing here)."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    ):
        return
    app.auth.record_denied(
        None,
        what=f"{request.method} {request.url.path}",
        source=request.client.host if request.client else "unknown",
        reason="missing or wrong metrics token",
    )
    raise NotAuthenticated(
        "/metrics needs `Authorization: Bearer <metrics token>` (TOCSIN_METRICS_TOKEN)."
    )
