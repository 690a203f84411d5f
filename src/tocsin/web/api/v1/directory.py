"""/api/v1/customers, users, tokens and me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission, Role
from tocsin.auth.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    MePatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from tocsin.core.paging import Page
from tocsin.web.access import AppDep, IdPath, require

router = APIRouter(prefix="/api/v1")

CustomerReader = Annotated[Principal, require(Permission.CUSTOMERS_READ)]
CustomerAdmin = Annotated[Principal, require(Permission.CUSTOMERS_MANAGE)]
CustomerCreator = Annotated[Principal, require(Permission.CUSTOMERS_CREATE)]
UserReader = Annotated[Principal, require(Permission.USERS_READ)]
UserAdmin = Annotated[Principal, require(Permission.USERS_MANAGE)]
Self = Annotated[Principal, require(Permission.SELF)]


@router.post("/customers", status_code=status.HTTP_201_CREATED, tags=["customers"])
def create_customer(app: AppDep, principal: CustomerCreator, data: CustomerIn) -> CustomerOut:
    return app.auth.create_customer(principal, data)


@router.get("/customers", tags=["customers"])
def list_customers(app: AppDep, principal: CustomerReader) -> Page[CustomerOut]:
    return app.auth.list_customers(principal)


@router.get("/customers/{slug}", tags=["customers"])
def get_customer(app: AppDep, principal: CustomerReader, slug: str) -> CustomerOut:
    return app.auth.get_customer(principal, slug)


@router.patch("/customers/{slug}", tags=["customers"])
def patch_customer(
    app: AppDep, principal: CustomerAdmin, slug: str, data: CustomerPatch
) -> CustomerOut:
    return app.auth.patch_customer(principal, slug, data)


@router.post("/users", status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(app: AppDep, principal: UserAdmin, data: UserIn) -> UserOut:
    return app.auth.create_user(principal, data)


@router.get("/users", tags=["users"])
def list_users(
    app: AppDep,
    principal: UserReader,
    role: Role | None = None,
    customer: str | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[UserOut]:
    return app.auth.list_users(
        principal, role=role, customer=customer, q=q, limit=limit, cursor=cursor
    )


@router.get("/users/{ref}", tags=["users"])
def get_user(app: AppDep, principal: UserReader, ref: str) -> UserOut:
    return app.auth.get_user(principal, ref)


@router.patch("/users/{ref}", tags=["users"])
def patch_user(app: AppDep, principal: UserAdmin, ref: str, data: UserPatch) -> UserOut:
    return app.auth.patch_user(principal, ref, data)


@router.get("/me", tags=["users"], summary="The signed-in user")
def me(app: AppDep, principal: Self) -> UserOut:
    return app.auth.get_user(principal, str(principal.user_id))


@router.patch("/me", tags=["users"], summary="Change your own name or time zone")
def patch_me(app: AppDep, principal: Self, data: MePatch) -> UserOut:
    return app.auth.patch_me(principal, data)


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    tags=["tokens"],
    summary="Create an API token for yourself (shown once)",
)
def create_token(app: AppDep, principal: Self, data: TokenIn) -> TokenCreated:
    return app.auth.create_token(principal, email=None, name=data.name)


@router.get("/tokens", tags=["tokens"], summary="Your API tokens (never the secrets)")
def list_tokens(app: AppDep, principal: Self) -> Page[TokenOut]:
    return app.auth.list_tokens(principal)


@router.delete("/tokens/{token_id}", tags=["tokens"], summary="Revoke an API token")
def revoke_token(app: AppDep, principal: Self, token_id: IdPath) -> TokenOut:
    return app.auth.revoke_token(principal, token_id)
