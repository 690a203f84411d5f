"""The queue as people see it: deliveries listed (failed ones first of interest) and a
failed one sent again by hand."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tocsin.core.ids import as_id
from tocsin.core.paging import Page, check_limit, encode_cursor, offset_from
from tocsin.db.session import Database
from tocsin.notifications.models import Delivery, NotificationChannel
from tocsin.notifications.notice import ID_LENGTH, ID_PREFIX


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class DeliveryOut(BaseModel):
    id: str
    status: DeliveryStatus
    topic: str
    kind: str
    # URLs show their scheme and host only: a Slack or Teams webhook's path is its secret.
    address: str
    incident_id: int | None
    user: str | None
    contact_method: int | None
    channel: str | None
    attempts: int
    available_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def shown_address(address: str) -> str:
    if "://" not in address:
        return address
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def delivery_out(session: Session, row: Delivery) -> DeliveryOut:
    user = session.get(User, row.user_id) if row.user_id else None
    channel = session.get(NotificationChannel, row.channel_id) if row.channel_id else None
    return DeliveryOut(
        id=row.id,
        status=DeliveryStatus(row.status),
        topic=row.topic,
        kind=row.kind,
        address=shown_address(row.address),
        incident_id=row.incident_id,
        user=user.email if user else None,
        contact_method=row.contact_method_id,
        channel=channel.slug if channel else None,
        attempts=row.attempts,
        available_at=row.available_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def _require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise PermissionDenied("Only staff see the delivery queue.")


def _visible(session: Session, principal: Principal, delivery_id: str) -> Delivery:
    row = None
    if delivery_id.startswith(ID_PREFIX) and len(delivery_id) == ID_LENGTH:
        row = session.get(Delivery, delivery_id)
    if row is None or not (principal.all_customers or row.customer_id == principal.customer_id):
        raise NotFound(f"There is no delivery {delivery_id!r}.")
    return row


def _incident_id(session: Session, ref: str | int) -> int:
    """An incident's id from its id or number. Read by SQL: the incidents domain is a layer
    above; deliveries are filtered by tenant on their own."""
    ident = as_id(ref)
    if ident is None:
        found = session.scalar(
            text("SELECT id FROM incidents WHERE number = :number"),
            {"number": str(ref).strip().upper()},
        )
        if found is None:
            raise ValidationFailed(f"There is no incident {ref!r}.", field="incident")
        ident = int(found)
    return ident


def list_deliveries(
    db: Database,
    principal: Principal,
    *,
    status: str | None,
    incident: str | int | None,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryOut]:
    _require_staff(principal)
    check_limit(limit)
    offset = offset_from(cursor)
    query = select(Delivery)
    if status is not None:
        if status not in DeliveryStatus.__members__.values():
            names = ", ".join(DeliveryStatus)
            raise ValidationFailed(f"status must be one of {names}.", field="status")
        query = query.where(Delivery.status == status)
    if not principal.all_customers:
        query = query.where(Delivery.customer_id == principal.customer_id)
    with db.read() as s:
        if incident is not None:
            query = query.where(Delivery.incident_id == _incident_id(s, incident))
        total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = s.scalars(
            query.order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        items = [delivery_out(s, r) for r in rows]
    after = offset + len(items)
    return Page(items=items, total=total, next=encode_cursor([after]) if after < total else None)


def retry_delivery(
    db: Database, principal: Principal, delivery_id: str, *, now: datetime
) -> DeliveryOut:
    principal.require(Permission.CATALOG_MANAGE)
    with db.unit_of_work() as uow:
        s = uow.session
        row = _visible(s, principal, delivery_id)
        if row.status != DeliveryStatus.FAILED:
            raise Conflict(
                f"Delivery {row.id} is {row.status}; only a failed delivery can be retried."
            )
        # a fresh run of attempts, with the same id
        row.status, row.available_at, row.claimed_until = "pending", now, None
        row.attempts, row.last_error = 0, None
        uow.record(
            "delivery.retried",
            "delivery",
            row.id,
            actor=principal.actor,
            customer_id=row.customer_id,
        )
        s.flush()
        return delivery_out(s, row)
