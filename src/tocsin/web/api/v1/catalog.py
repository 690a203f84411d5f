"""/api/v1/teams, services and categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    TeamIn,
    TeamOut,
    TeamPatch,
)
from tocsin.core.paging import Page
from tocsin.web.access import AppDep, require

router = APIRouter(prefix="/api/v1")

TeamReader = Annotated[Principal, require(Permission.TEAMS_READ)]
CatalogReader = Annotated[Principal, require(Permission.CATALOG_READ)]
CatalogAdmin = Annotated[Principal, require(Permission.CATALOG_MANAGE)]
CategoryAdmin = Annotated[Principal, require(Permission.CATEGORIES_MANAGE)]
# Slugs are unique per customer: the provider's staff name the customer when several
# customers have one (a tenant's staff only ever reach their own).
CustomerQuery = Annotated[
    str | None, Query(description="Customer slug, when several customers have this slug")
]


@router.post("/teams", status_code=status.HTTP_201_CREATED, tags=["teams"])
def create_team(app: AppDep, principal: CatalogAdmin, data: TeamIn) -> TeamOut:
    return app.catalog.create_team(principal, data)


@router.get("/teams", tags=["teams"])
def list_teams(app: AppDep, principal: TeamReader) -> Page[TeamOut]:
    return app.catalog.list_teams(principal)


@router.get("/teams/{slug}", tags=["teams"])
def get_team(
    app: AppDep, principal: TeamReader, slug: str, customer: CustomerQuery = None
) -> TeamOut:
    return app.catalog.get_team(principal, slug, customer=customer)


@router.patch("/teams/{slug}", tags=["teams"])
def patch_team(
    app: AppDep,
    principal: CatalogAdmin,
    slug: str,
    data: TeamPatch,
    customer: CustomerQuery = None,
) -> TeamOut:
    return app.catalog.patch_team(principal, slug, data, customer=customer)


@router.post("/services", status_code=status.HTTP_201_CREATED, tags=["services"])
def create_service(app: AppDep, principal: CatalogAdmin, data: ServiceIn) -> ServiceOut:
    return app.catalog.create_service(principal, data)


@router.get("/services", tags=["services"])
def list_services(app: AppDep, principal: CatalogReader) -> Page[ServiceOut]:
    return app.catalog.list_services(principal)


@router.get("/services/{slug}", tags=["services"])
def get_service(
    app: AppDep, principal: CatalogReader, slug: str, customer: CustomerQuery = None
) -> ServiceOut:
    return app.catalog.get_service(principal, slug, customer=customer)


@router.patch("/services/{slug}", tags=["services"])
def patch_service(
    app: AppDep,
    principal: CatalogAdmin,
    slug: str,
    data: ServicePatch,
    customer: CustomerQuery = None,
) -> ServiceOut:
    return app.catalog.patch_service(principal, slug, data, customer=customer)


@router.post("/categories", status_code=status.HTTP_201_CREATED, tags=["categories"])
def create_category(app: AppDep, principal: CategoryAdmin, data: CategoryIn) -> CategoryOut:
    return app.catalog.create_category(principal, data)


@router.get("/categories", tags=["categories"])
def list_categories(app: AppDep, principal: CatalogReader) -> Page[CategoryOut]:
    return app.catalog.list_categories(principal)
