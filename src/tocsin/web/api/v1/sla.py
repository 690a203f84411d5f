"""/api/v1/calendars and /api/v1/sla-policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.sla.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    SlaPolicyIn,
    SlaPolicyOut,
    SlaPolicyPatch,
)
from tocsin.web.access import AppDep, require

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require(Permission.TEAMS_READ)]
Admin = Annotated[Principal, require(Permission.CATALOG_MANAGE)]
CustomerQuery = Annotated[
    str | None, Query(description="Customer slug, when several customers have this slug")
]


@router.post("/calendars", status_code=status.HTTP_201_CREATED, tags=["sla"])
def create_calendar(app: AppDep, principal: Admin, data: CalendarIn) -> CalendarOut:
    return app.sla.calendars.create(principal, data)


@router.get("/calendars", tags=["sla"])
def list_calendars(app: AppDep, principal: Reader) -> Page[CalendarOut]:
    return app.sla.calendars.list(principal)


@router.get("/calendars/{slug}", tags=["sla"])
def get_calendar(
    app: AppDep, principal: Reader, slug: str, customer: CustomerQuery = None
) -> CalendarOut:
    return app.sla.calendars.get(principal, slug, customer=customer)


@router.patch("/calendars/{slug}", tags=["sla"])
def patch_calendar(
    app: AppDep, principal: Admin, slug: str, data: CalendarPatch, customer: CustomerQuery = None
) -> CalendarOut:
    return app.sla.calendars.patch(principal, slug, data, customer=customer)


@router.delete("/calendars/{slug}", status_code=status.HTTP_204_NO_CONTENT, tags=["sla"])
def delete_calendar(
    app: AppDep, principal: Admin, slug: str, customer: CustomerQuery = None
) -> Response:
    app.sla.calendars.delete(principal, slug, customer=customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sla-policies", status_code=status.HTTP_201_CREATED, tags=["sla"])
def create_policy(app: AppDep, principal: Admin, data: SlaPolicyIn) -> SlaPolicyOut:
    return app.sla.policies.create(principal, data)


@router.get("/sla-policies", tags=["sla"])
def list_policies(app: AppDep, principal: Reader) -> Page[SlaPolicyOut]:
    return app.sla.policies.list(principal)


@router.get("/sla-policies/{slug}", tags=["sla"])
def get_policy(
    app: AppDep, principal: Reader, slug: str, customer: CustomerQuery = None
) -> SlaPolicyOut:
    return app.sla.policies.get(principal, slug, customer=customer)


@router.patch("/sla-policies/{slug}", tags=["sla"])
def patch_policy(
    app: AppDep, principal: Admin, slug: str, data: SlaPolicyPatch, customer: CustomerQuery = None
) -> SlaPolicyOut:
    return app.sla.policies.patch(principal, slug, data, customer=customer)


@router.delete("/sla-policies/{slug}", status_code=status.HTTP_204_NO_CONTENT, tags=["sla"])
def delete_policy(
    app: AppDep, principal: Admin, slug: str, customer: CustomerQuery = None
) -> Response:
    app.sla.policies.delete(principal, slug, customer=customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
