"""The outbox: what happened to incidents, kept until the notification sender delivers it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, text
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
