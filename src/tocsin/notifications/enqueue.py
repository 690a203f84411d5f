"""Putting deliveries on the queue: a person's page (their rules, quiet hours), a shared
channel's notice, an administrator's warning. Every insert is idempotent by its dedupe key,
so a producer that runs twice (after a crash) enqueues once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.service import default_customer
from tocsin.db.memo import per_transaction
from tocsin.db.upsert import insert_ignoring
from tocsin.notifications.models import (
    ContactMethod,
    Delivery,
    NotificationChannel,
    NotificationRule,
    NotificationSettings,
)
from tocsin.notifications.notice import LinksFor, Notice, new_delivery_id
from tocsin.notifications.quiet_hours import QuietHours, defer_until
from tocsin.notifications.topics import subscribed

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Draft:
    """One delivery to insert."""

    kind: str
    address: str
    customer_id: int | None
    available_at: datetime
    dedupe_key: str
    user_id: int | None = None
    contact_method_id: int | None = None
    channel_id: int | None = None
    unless_acknowledged: bool = False


def insert(
    session: Session,
    drafts: list[Draft],
    notice: Notice,
    *,
    incident_id: int | None,
    now: datetime,
    links_for: LinksFor | None = None,
) -> list[str]:
    """Insert each draft unless its dedupe key is queued already; the ids, old or new."""
    if not drafts:
        return []
    rows = []
    for draft in drafts:
        delivery_id = new_delivery_id()
        links = links_for(delivery_id) if links_for is not None else {}
        rows.append(
            {
                "id": delivery_id,
                "customer_id": draft.customer_id,
                "incident_id": incident_id,
                "topic": notice.topic,
                "user_id": draft.user_id,
                "contact_method_id": draft.contact_method_id,
                "channel_id": draft.channel_id,
                "kind": draft.kind,
                "address": draft.address,
                "message": notice.stored(links),
                "unless_acknowledged": draft.unless_acknowledged,
                "dedupe_key": draft.dedupe_key,
                "status": PENDING,
                "attempts": 0,
                "available_at": draft.available_at,
                "created_at": now,
            }
        )
    table: Table = Delivery.__table__  # type: ignore[assignment]
    # One statement, compiled once and cached (its rows are parameters, not part of it).
    statement = insert_ignoring(session, table).returning(table.c.id, table.c.dedupe_key)
    kept: dict[str, str] = {
        key: delivery_id for delivery_id, key in session.execute(statement, rows)
    }
    queued = [d.dedupe_key for d in drafts if d.dedupe_key not in kept]
    if queued:  # queued before, under the same dedupe keys: their ids
        found = select(Delivery.id, Delivery.dedupe_key).where(Delivery.dedupe_key.in_(queued))
        kept.update({key: delivery_id for delivery_id, key in session.execute(found)})
    return [kept[d.dedupe_key] for d in drafts]


def quiet_hours_of(session: Session, user_id: int) -> QuietHours | None:
    row = session.get(NotificationSettings, user_id)
    if row is None:
        return None
    return QuietHours(row.time_zone, row.quiet_start, row.quiet_end, row.quiet_min_priority)


def _paging_plan(
    session: Session, user_id: int
) -> tuple[QuietHours | None, list[tuple[NotificationRule, ContactMethod]], list[ContactMethod]]:
    """A person's quiet hours, rules (with their enabled contact methods) and enabled
    contact methods."""
    rules = session.execute(
        select(NotificationRule, ContactMethod)
        .join(ContactMethod, ContactMethod.id == NotificationRule.contact_method_id)
        .where(NotificationRule.user_id == user_id, ContactMethod.disabled_at.is_(None))
        .order_by(NotificationRule.delay_minutes, NotificationRule.id)
    ).all()
    methods = session.scalars(
        select(ContactMethod)
        .where(ContactMethod.user_id == user_id, ContactMethod.disabled_at.is_(None))
        .order_by(ContactMethod.id)
    ).all()
    return (
        quiet_hours_of(session, user_id),
        [(rule, method) for rule, method in rules],
        list(methods),
    )


def person_drafts(
    session: Session, user: User, *, priority: int, dedupe_prefix: str, at: datetime, incident: bool
) -> list[Draft]:
    """A person's page as deliveries: one per notification rule (its contact method after
    its delay, sent then only if still unacknowledged); without rules (or with only
    disabled methods in them) every enabled contact method at once; without any, the
    account's e-mail address, so that nobody goes unpaged. Quiet hours hold back the low
    priorities."""
    quiet, rules, methods = per_transaction(
        session, ("paging_plan", user.id), lambda: _paging_plan(session, user.id)
    )
    prefix = f"{dedupe_prefix}:u{user.id}"
    planned: list[tuple[str, ContactMethod | None, int]] = [
        (f"{prefix}:r{rule.id}", method, rule.delay_minutes) for rule, method in rules
    ]
    if not planned:
        planned = [(f"{prefix}:cm{m.id}", m, 0) for m in methods]
    if not planned:
        planned = [(f"{prefix}:email", None, 0)]
    drafts = []
    for key, method, delay in planned:
        due = at + timedelta(minutes=delay)
        if quiet is not None:
            due = defer_until(quiet, priority, due) or due
        drafts.append(
            Draft(
                kind=method.type if method else "email",
                address=method.address if method else user.email,
                customer_id=user.customer_id,
                available_at=due,
                dedupe_key=key,
                user_id=user.id,
                contact_method_id=method.id if method else None,
                unless_acknowledged=incident and delay > 0,
            )
        )
    return drafts


def _channels_of(session: Session, customer_id: int) -> list[NotificationChannel]:
    """The enabled channels of this customer and of the provider."""
    provider_id = default_customer(session).id
    return list(
        session.scalars(
            select(NotificationChannel)
            .where(
                NotificationChannel.customer_id.in_({customer_id, provider_id}),
                NotificationChannel.disabled_at.is_(None),
            )
            .order_by(NotificationChannel.id)
        )
    )


def channel_drafts(
    session: Session,
    *,
    customer_id: int,
    team_id: int | None,
    service_id: int | None,
    topic: str,
    dedupe_prefix: str,
    at: datetime,
) -> list[Draft]:
    """The enabled channels told about `topic` for an incident of this customer, team and
    service: the customer's own, and the provider's (whose people work every customer's
    incidents). A channel naming a team or a service hears only of those; one naming
    neither hears of all its customer's incidents (the provider's: of every incident)."""
    channels = per_transaction(
        session, ("channels", customer_id), lambda: _channels_of(session, customer_id)
    )
    drafts = []
    for channel in channels:
        if not subscribed(list(channel.events), topic):
            continue
        if channel.team_id is not None and channel.team_id != team_id:
            continue
        if channel.service_id is not None and channel.service_id != service_id:
            continue
        drafts.append(
            Draft(
                kind=channel.type,
                address=channel.address,
                customer_id=channel.customer_id,
                available_at=at,
                dedupe_key=f"{dedupe_prefix}:ch{channel.id}",
                channel_id=channel.id,
            )
        )
    return drafts


def admin_drafts(
    session: Session, *, customer_id: int, dedupe_prefix: str, at: datetime
) -> list[Draft]:
    """Every active administrator of this customer and of the provider, at their account's
    e-mail address (a contact method may be what just failed)."""
    provider_id = default_customer(session).id
    admins = session.scalars(
        select(User)
        .where(
            User.customer_id.in_({customer_id, provider_id}),
            User.role == "admin",
            User.active.is_(True),
        )
        .order_by(User.id)
    ).all()
    return [
        Draft(
            kind="email",
            address=admin.email,
            customer_id=admin.customer_id,
            available_at=at,
            dedupe_key=f"{dedupe_prefix}:admin{admin.id}",
            user_id=admin.id,
        )
        for admin in admins
    ]


def cancel_pending(session: Session, **where: int) -> int:
    """Cancel pending deliveries matching `where` (incident_id=, contact_method_id=,
    channel_id=); for an incident only those sent "unless acknowledged"."""
    query = update(Delivery).where(Delivery.status == PENDING)
    for column, value in where.items():
        query = query.where(getattr(Delivery, column) == value)
    if "incident_id" in where:
        query = query.where(Delivery.unless_acknowledged.is_(True))
    result = session.execute(
        query.values(status="cancelled", last_error="cancelled", claimed_until=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
