"""Sending the queue: claim due deliveries, hand them to the channels, record what came of
each. A claim is a lease on the row (`claimed_until`): a process that dies mid-send leaves
its claims to expire, and the delivery is sent again with the same id (at least once)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.core.events import Actor
from tocsin.db.session import UnitOfWork
from tocsin.notifications.backoff import exhausted, retry_delay
from tocsin.notifications.channels.base import (
    ChannelKind,
    Delivered,
    Failed,
    Gone,
    Outcome,
    Retry,
    Target,
)
from tocsin.notifications.enqueue import PENDING, admin_drafts, insert
from tocsin.notifications.models import ContactMethod, Delivery, NotificationChannel
from tocsin.notifications.notice import Notice

# The incident ids among those given that are still open and unacknowledged.
StillUnacknowledged = Callable[[Session, list[int]], set[int]]

ENGINE = Actor.system("deliveries")
_ERROR_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process holds the claim of, with what sending it needs."""

    id: str
    target: Target
    message: dict[str, Any]
    attempts: int


def claim(
    uow: UnitOfWork,
    *,
    now: datetime,
    hold: timedelta,
    limit: int,
    still_unacknowledged: StillUnacknowledged,
) -> list[Claimed]:
    """Claim up to `limit` due deliveries for `hold`. On PostgreSQL the candidates are read
    with SKIP LOCKED and the claim is a conditional UPDATE, re-checked by PostgreSQL after
    any row lock it waited for: two processes never hold one delivery at once. SQLite
    writers take turns anyway. Deliveries sent "unless acknowledged" whose incident was
    acknowledged or closed meanwhile are skipped here, not sent."""
    s = uow.session
    free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    due = (
        select(Delivery.id)
        .where(Delivery.status == PENDING, Delivery.available_at <= now, free)
        .order_by(Delivery.available_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(s.scalars(due))
    if not ids:
        return []
    won = set(
        s.scalars(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == PENDING, free)
            .values(claimed_until=now + hold)
            .returning(Delivery.id)
        )
    )
    rows = s.scalars(select(Delivery).where(Delivery.id.in_(won))).all()
    waiting = {r.incident_id for r in rows if r.unless_acknowledged and r.incident_id}
    still = still_unacknowledged(s, sorted(waiting)) if waiting else set()
    secrets = _secrets(s, rows)
    claimed = []
    for row in rows:
        if row.unless_acknowledged and row.incident_id is not None and row.incident_id not in still:
            row.status, row.claimed_until = "skipped", None
            row.last_error = "The incident was acknowledged or closed before this was due."
            continue
        target = Target(ChannelKind(row.kind), row.address, secrets.get(row.id))
        claimed.append(Claimed(row.id, target, dict(row.message), row.attempts))
    return claimed


def _secrets(session: Session, rows: Sequence[Delivery]) -> dict[str, str | None]:
    """Each delivery's current signing secret or token, from its contact method or channel
    (never copied into the queue)."""
    methods = {r.contact_method_id for r in rows if r.contact_method_id}
    channels = {r.channel_id for r in rows if r.channel_id}
    by_method: dict[int, str | None] = {}
    if methods:
        query = select(ContactMethod.id, ContactMethod.secret).where(ContactMethod.id.in_(methods))
        by_method = {row[0]: row[1] for row in session.execute(query)}
    by_channel: dict[int, str | None] = {}
    if channels:
        query = select(NotificationChannel.id, NotificationChannel.secret).where(
            NotificationChannel.id.in_(channels)
        )
        by_channel = {row[0]: row[1] for row in session.execute(query)}
    out: dict[str, str | None] = {}
    for r in rows:
        if r.contact_method_id:
            out[r.id] = by_method.get(r.contact_method_id)
        elif r.channel_id:
            out[r.id] = by_channel.get(r.channel_id)
    return out


def record_delivered(uow: UnitOfWork, ids: list[str], *, now: datetime) -> None:
    """The attempts that were delivered, in one statement (most of them are): what
    `record` does for a Delivered outcome."""
    if ids:
        uow.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == PENDING)
            .values(
                attempts=Delivery.attempts + 1,
                claimed_until=None,
                status="delivered",
                delivered_at=now,
                last_error=None,
            )
        )


def record(
    uow: UnitOfWork, claimed: Claimed, outcome: Outcome, *, now: datetime, rng: random.Random
) -> None:
    """What came of one attempt. Only a row still claimed by this attempt is changed (a
    claim that expired mid-send may have been taken over)."""
    if isinstance(outcome, Delivered):
        record_delivered(uow, [claimed.id], now=now)
        return
    s = uow.session
    row = s.get(Delivery, claimed.id, with_for_update=True)
    if row is None or row.status != PENDING:
        return
    attempts = row.attempts + 1
    row.attempts, row.claimed_until = attempts, None
    match outcome:
        case Retry(reason=reason, after_seconds=after):
            row.last_error = reason[:_ERROR_LIMIT]
            if exhausted(attempts):
                row.status = "failed"
            else:
                row.available_at = now + timedelta(seconds=retry_delay(attempts, rng, floor=after))
        case Failed(reason=reason):
            row.status, row.last_error = "failed", reason[:_ERROR_LIMIT]
        case Gone(reason=reason):
            row.status, row.last_error = "failed", reason[:_ERROR_LIMIT]
            disable_target(uow, row, reason, now=now)


def disable_target(uow: UnitOfWork, row: Delivery, reason: str, *, now: datetime) -> None:
    """The receiver says the target is gone: disable the contact method or channel, record
    it, cancel what else waits for it, and tell the administrators of its customer and of
    the provider at their account e-mail."""
    s = uow.session
    reason = reason[:500]
    if row.contact_method_id is not None:
        method = s.get(ContactMethod, row.contact_method_id)
        if method is None or method.disabled_at is not None:
            return
        method.disabled_at, method.disabled_reason = now, reason
        owner = s.get(User, method.user_id)
        assert owner is not None
        customer_id, kind, ident = owner.customer_id, "contact_method", method.id
        what = f"{owner.email}'s {method.type} contact method {method.label or method.address}"
        where = {"contact_method_id": method.id}
    elif row.channel_id is not None:
        channel = s.get(NotificationChannel, row.channel_id)
        if channel is None or channel.disabled_at is not None:
            return
        channel.disabled_at, channel.disabled_reason = now, reason
        customer_id, kind, ident = channel.customer_id, "notification_channel", channel.id
        what = f"the {channel.type} channel {channel.slug!r} ({channel.name})"
        where = {"channel_id": channel.id}
    else:
        return  # an account's own e-mail address: nothing to disable
    s.flush()
    s.execute(
        update(Delivery)
        .where(Delivery.status == PENDING, Delivery.id != row.id)
        .where(*(getattr(Delivery, k) == v for k, v in where.items()))
        .values(status="cancelled", last_error=f"The target was disabled: {reason}")
    )
    uow.record(
        "notification.target_disabled",
        kind,
        ident,
        actor=ENGINE,
        customer_id=customer_id,
        at=now,
        reason=reason,
        delivery=row.id,
    )
    notice = Notice(
        topic="admin.target_disabled",
        subject=f"Tocsin disabled {what}",
        body=(
            f"Tocsin stopped sending to {what}: the receiver answered that it is gone "
            f"({reason}). Nothing more is sent there until it is edited or re-created."
        ),
        data={"object_type": kind, "object_id": ident, "reason": reason},
    )
    drafts = admin_drafts(
        s,
        customer_id=customer_id,
        dedupe_prefix=f"disabled:{kind}:{ident}:{now.isoformat()}",
        at=now,
    )
    insert(s, drafts, notice, incident_id=None, now=now)
