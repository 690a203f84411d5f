"""A change record: something that changed on a service at a time, from a person or a sender."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (
        # An incident's page lists its service's changes of the last hours, newest first.
        Index("ix_changes_service_at", "service_id", "at"),
        Index("ix_changes_customer_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    summary: Mapped[str] = mapped_column(String(1024))
    # who or what made it: a deploy tool, a CI job, a person ("pagerduty", "github", ...)
    source: Mapped[str] = mapped_column(String(255), default="")
    link: Mapped[str | None] = mapped_column(Text)
    # when the change happened (the sender's timestamp), not when it was recorded
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
