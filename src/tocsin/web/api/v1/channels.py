"""/api/v1/channels: shared notification channels (Slack, Teams, webhook, e-mail, ntfy)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.notifications.schemas import ChannelIn, ChannelOut, ChannelPatch
from tocsin.web.access import AppDep, require

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])

Reader = Annotated[Principal, require(Permission.TEAMS_READ)]
Manager = Annotated[Principal, require(Permission.CATALOG_MANAGE)]
CustomerQuery = Annotated[
    str | None, Query(description="Customer slug, when several customers have this slug")
]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_channel(app: AppDep, principal: Manager, data: ChannelIn) -> ChannelOut:
    return app.notification_channels.create(principal, data)


@router.get("")
def list_channels(app: AppDep, principal: Reader) -> Page[ChannelOut]:
    return app.notification_channels.list(principal)


@router.get("/{slug}")
def get_channel(
    app: AppDep, principal: Reader, slug: str, customer: CustomerQuery = None
) -> ChannelOut:
    return app.notification_channels.get(principal, slug, customer=customer)


@router.patch("/{slug}")
def patch_channel(
    app: AppDep, principal: Manager, slug: str, data: ChannelPatch, customer: CustomerQuery = None
) -> ChannelOut:
    return app.notification_channels.patch(principal, slug, data, customer=customer)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(
    app: AppDep, principal: Manager, slug: str, customer: CustomerQuery = None
) -> Response:
    app.notification_channels.delete(principal, slug, customer=customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
