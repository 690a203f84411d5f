"""/api/v1/deliveries: the notification queue, failed deliveries, retry by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.notifications.queue_admin import DeliveryOut, DeliveryStatus
from tocsin.web.access import AppDep, require

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])

# Staff only (requesters do not hold users.read): the queue names people's addresses.
Reader = Annotated[Principal, require(Permission.USERS_READ)]
Manager = Annotated[Principal, require(Permission.CATALOG_MANAGE)]


@router.get("")
def list_deliveries(
    app: AppDep,
    principal: Reader,
    status: DeliveryStatus | None = None,
    incident: Annotated[
        str | None, Query(max_length=32, description="Incident id or number (INC0001234)")
    ] = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[DeliveryOut]:
    return app.deliveries.list(
        principal,
        status=status.value if status else None,
        incident_id=incident,
        cursor=cursor,
        limit=limit,
    )


@router.post("/{delivery_id}/retry", summary="Send a failed delivery again now (same id)")
def retry_delivery(app: AppDep, principal: Manager, delivery_id: str) -> DeliveryOut:
    return app.deliveries.retry(principal, delivery_id)
