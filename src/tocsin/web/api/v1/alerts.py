"""/api/v1/integrations, /api/v1/alerts and /api/v1/maintenance-windows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tocsin.alerts.schemas import (
    AlertOut,
    IntegrationCreated,
    IntegrationIn,
    IntegrationOut,
    IntegrationPatch,
    MaintenanceWindowIn,
    MaintenanceWindowOut,
)
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.web.access import AppDep, IdPath, require

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require(Permission.TEAMS_READ)]
Admin = Annotated[Principal, require(Permission.CATALOG_MANAGE)]
Worker = Annotated[Principal, require(Permission.INCIDENT_WORK)]


@router.post(
    "/integrations",
    status_code=status.HTTP_201_CREATED,
    tags=["integrations"],
    summary="Create an integration; the key is answered once",
)
def create_integration(app: AppDep, principal: Admin, data: IntegrationIn) -> IntegrationCreated:
    return app.integrations.create(principal, data)


@router.get("/integrations", tags=["integrations"])
def list_integrations(app: AppDep, principal: Reader) -> Page[IntegrationOut]:
    return app.integrations.list_all(principal)


@router.get("/integrations/{ref}", tags=["integrations"])
def get_integration(app: AppDep, principal: Reader, ref: str) -> IntegrationOut:
    return app.integrations.get(principal, ref)


@router.patch("/integrations/{ref}", tags=["integrations"])
def patch_integration(
    app: AppDep, principal: Admin, ref: str, data: IntegrationPatch
) -> IntegrationOut:
    return app.integrations.patch(principal, ref, data)


@router.get("/alerts", tags=["alerts"], summary="Alerts, newest first")
def list_alerts(
    app: AppDep,
    principal: Reader,
    dedup_key: str | None = None,
    integration: str | None = None,
    status: str | None = None,
    incident: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[AlertOut]:
    return app.alerts.list(
        principal,
        dedup_key=dedup_key,
        integration=integration,
        status=status,
        incident=incident,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/maintenance-windows",
    status_code=status.HTTP_201_CREATED,
    tags=["maintenance"],
    summary="Suppress alerts of a service or customer",
)
def create_window(
    app: AppDep, principal: Worker, data: MaintenanceWindowIn
) -> MaintenanceWindowOut:
    return app.alerts.create_window(principal, data)


@router.get("/maintenance-windows", tags=["maintenance"])
def list_windows(app: AppDep, principal: Reader) -> Page[MaintenanceWindowOut]:
    return app.alerts.list_windows(principal)


@router.delete("/maintenance-windows/{window_id}", tags=["maintenance"])
def delete_window(app: AppDep, principal: Worker, window_id: IdPath) -> MaintenanceWindowOut:
    return app.alerts.delete_window(principal, window_id)
