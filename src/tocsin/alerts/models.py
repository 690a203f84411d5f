"""Integrations, alerts and maintenance windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.alerts.states import LIVE_ALERT_SQL
from tocsin.db.base import Base


class Integration(Base):
    """A sender pointed at Tocsin: its type, its key, and where its alerts go."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # sha256 of the key; the key itself is shown once, when the integration is created.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    config: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Alert(Base):
    """One alert as the sender sees it (one dedup key), across its repeats."""

    __tablename__ = "alerts"
    __table_args__ = (
        # Deduplication is the database's job: one live alert per key and integration, so
        # simultaneous first copies cannot both open one (on SQLite and PostgreSQL alike).
        Index(
            "uq_alerts_live_key",
            "integration_id",
            "dedup_key",
            unique=True,
            sqlite_where=text(LIVE_ALERT_SQL),
            postgresql_where=text(LIVE_ALERT_SQL),
        ),
        Index("ix_alerts_key", "dedup_key", "integration_id", "last_seen_at"),
        Index("ix_alerts_incident", "incident_id"),
        Index("ix_alerts_group", "integration_id", "group_value", "last_seen_at"),
        # the live updates' watermark: the latest sighting of any alert (see live.sources)
        Index("ix_alerts_last_seen", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    dedup_key: Mapped[str] = mapped_column(String(255))
    # triggered | acknowledged | resolved | suppressed
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(255))
    group_value: Mapped[str | None] = mapped_column(String(255))
    labels: Mapped[dict[str, Any]]
    details: Mapped[dict[str, Any]]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    count: Mapped[int] = mapped_column(default=1)
    flap_count: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # What the sender sent, as received (alerts.payloads), the latest repeat's. Deferred:
    # up to 64 KiB, read only by the alert's own page.
    payload: Mapped[str | None] = mapped_column(Text, deferred=True)


class MaintenanceWindow(Base):
    """Alerts for a service or a customer inside a window are recorded, not acted on."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # none | daily | weekly: the window repeats with the same length from starts_at on.
    recurrence: Mapped[str] = mapped_column(String(8), default="none")
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
