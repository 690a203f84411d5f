"""/api/v1/heartbeats/{key}: the pings of heartbeat integrations, by POST or, for cron jobs
(`curl -fsS URL`), by GET. The key in the path is the credential."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from tocsin.bootstrap import Tocsin
from tocsin.core.errors import NotFound
from tocsin.heartbeats.schemas import PingOut
from tocsin.web.access import AppDep, IntegrationKey

router = APIRouter(prefix="/api/v1", tags=["heartbeats"])
PATH = "/heartbeats/{key}"
_DESCRIPTION = (
    "The key in the path is the heartbeat integration's key. Answers 200 "
    "`{status, next_due_at}` once the ping is committed; 404 for an unknown key, 403 for a "
    "disabled heartbeat, 422 for the key of an integration of another type (problem+json)."
)
_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "The heartbeat is disabled"},
    404: {"description": "Unknown key"},
    422: {"description": "The key of an integration that is not a heartbeat"},
}


def _ping(app: Tocsin, request: Request, key: str) -> PingOut:
    try:
        return app.heartbeats.ping(key)
    except NotFound:
        # Like the senders' refused keys: audited, without the key itself.
        app.auth.record_denied(
            None,
            what=f"{request.method} /api/v1{PATH}",
            source=request.client.host if request.client else "unknown",
            reason="unknown heartbeat key",
        )
        raise


@router.post(
    PATH,
    summary="Ping a heartbeat",
    description=_DESCRIPTION,
    dependencies=[Depends(IntegrationKey())],
    responses=_RESPONSES,
)
def ping(app: AppDep, request: Request, key: str) -> PingOut:
    return _ping(app, request, key)


@router.get(
    PATH,
    summary="Ping a heartbeat (GET, for cron jobs)",
    description=_DESCRIPTION,
    dependencies=[Depends(IntegrationKey())],
    responses=_RESPONSES,
    operation_id="ping_heartbeat_get",
)
def ping_by_get(app: AppDep, request: Request, key: str) -> PingOut:
    return _ping(app, request, key)
