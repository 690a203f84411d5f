"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

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
    summary="Prometheus metrics",
)
def metrics(app: AppDep, request: Request) -> Response:
    metrics_: Metrics = request.app.state.metrics
    metrics_.refresh(app)
    return Response(generate_latest(metrics_.registry), media_type=CONTENT_TYPE_LATEST)
