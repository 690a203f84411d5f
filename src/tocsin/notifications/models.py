"""The outbox (what happened to incidents), and what paging people needs: contact methods,
notification rules, quiet hours, shared channels and the delivery queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class OutboxMessage(Base):
    """One event to deliver, written by the transaction that made it happen (so a message
    exists exactly when its change committed). The event itself is its audit entry
    (`audit_seq`). `available_at` is when the next delivery attempt may run;
    `delivered_at` stays empty until a sender has delivered it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    created_at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None]
    audit_seq: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        # The sender's queue: undelivered messages in the order they may be tried.
        Index(
            "ix_outbox_pending",
            "available_at",
            "id",
            sqlite_where=text("delivered_at IS NULL"),
            postgresql_where=text("delivered_at IS NULL"),
        ),
    )


class ContactMethod(Base):
    """How one person is reached: an e-mail address, a phone, a webhook, a chat webhook, an
    ntfy topic. Disabled (not deleted) when the receiver answered that it is gone."""

    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(100), default="")
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class NotificationRule(Base):
    """Page this contact method `delay_minutes` after the page starts (if still unacknowledged
    by then, when the delay is not zero)."""

    __tablename__ = "notification_rules"
    __table_args__ = (CheckConstraint("delay_minutes >= 0", name="delay_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_method_id: Mapped[int] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE"), index=True
    )
    delay_minutes: Mapped[int]
    created_at: Mapped[datetime]


class NotificationSettings(Base):
    """A person's quiet hours: pages of priority `quiet_min_priority` or lower (4, 5) wait
    for their end. No start or end: no quiet hours."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    quiet_min_priority: Mapped[int] = mapped_column(default=4)


class NotificationChannel(Base):
    """A shared destination (a team's Slack channel, a webhook, a mailing list) told about
    the incident events it subscribes to, for a team, a service, or all of its customer's
    incidents."""

    __tablename__ = "notification_channels"
    __table_args__ = (
        UniqueConstraint("customer_id", "slug", name="uq_notification_channels_customer_id_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(500))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    events: Mapped[list[str]]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


class Delivery(Base):
    """One message to one target, sent at least once. `id` is the stable delivery id the
    receiver sees on every attempt (webhook-id, Message-ID); `dedupe_key` makes enqueueing
    idempotent, so a producer that runs twice enqueues once. The secret is not copied:
    it is read from the contact method or channel when sending."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The sender's queue: pending deliveries in the order they fall due.
        Index(
            "ix_deliveries_due",
            "available_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_deliveries_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(index=True)
    incident_id: Mapped[int | None] = mapped_column(index=True)
    topic: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="SET NULL")
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(2000))
    message: Mapped[dict[str, Any]]
    unless_acknowledged: Mapped[bool] = mapped_column(default=False)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
