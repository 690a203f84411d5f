"""/api/v1/changes: change records (deploys, configuration, maintenance)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.changes.schemas import ChangeIn, ChangeOut
from tocsin.core.paging import Page
from tocsin.web.access import AppDep, IdPath, require

router = APIRouter(prefix="/api/v1", tags=["changes"])

Reader = Annotated[Principal, require(Permission.CHANGE_READ)]
Recorder = Annotated[Principal, require(Permission.CHANGE_RECORD)]


@router.post(
    "/changes",
    status_code=status.HTTP_201_CREATED,
    summary="Record a change (deploy, configuration, maintenance) on a service",
)
def record_change(app: AppDep, principal: Recorder, data: ChangeIn) -> ChangeOut:
    return app.changes.record(principal, data)


@router.get("/changes", summary="Changes, newest first (by when they happened)")
def list_changes(
    app: AppDep,
    principal: Reader,
    service: str | None = None,
    since: datetime | None = None,
    customer: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[ChangeOut]:
    return app.changes.list(
        principal,
        service=service,
        since=since,
        customer=customer,
        q=q,
        limit=limit,
        cursor=cursor,
    )


@router.get("/changes/{change_id}", summary="One change")
def get_change(app: AppDep, principal: Reader, change_id: IdPath) -> ChangeOut:
    return app.changes.get(principal, change_id)
