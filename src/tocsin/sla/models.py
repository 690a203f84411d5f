"""Business-hours calendars, SLA policies and each incident's SLA clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class BusinessCalendar(Base):
    __tablename__ = "calendars"
    __table_args__ = (
        UniqueConstraint("customer_id", "slug", name="uq_calendars_customer_id_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    # {"mon": ["09:00", "17:00"], ...} as written (see sla/specs.py)
    hours: Mapped[dict[str, Any]]
    # a country code ("DE-BY") or a list of ISO dates; null: no holidays
    holidays: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime]


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("customer_id", "slug", name="uq_sla_policies_customer_id_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # null: the provider's policy, for every customer without one of its own
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int]
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    # null: around the clock
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"), index=True)
    # null: the installation's TOCSIN_SLA_WARN_AT
    warn_at: Mapped[float | None] = mapped_column(Float)
    escalate_on_breach: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class IncidentSla(Base):
    """The response and resolution clocks of one incident (a row once a policy matched).

    `*_consumed_seconds` holds business seconds used up to `*_running_since` (null: not running);
    `next_check_at` is the earliest warning or breach still to be noticed, so the engine's
    check reads only the rows that are due."""

    __tablename__ = "incident_slas"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # null: no policy matches any longer (the clocks stopped, the history kept)
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    response_target_seconds: Mapped[float] = mapped_column(Float)
    response_consumed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    response_running_since: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    response_met_at: Mapped[datetime | None]
    response_warned_at: Mapped[datetime | None]
    response_breached_at: Mapped[datetime | None]
    resolution_target_seconds: Mapped[float] = mapped_column(Float)
    resolution_consumed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    resolution_running_since: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    resolution_met_at: Mapped[datetime | None]
    resolution_warned_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    paused_since: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    made_sla: Mapped[bool | None]
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    # At-least-once delivery: the instant of the last event applied and the keys of the
    # events applied at that instant, so a replayed event changes nothing.
    applied_at: Mapped[datetime]
    applied_keys: Mapped[list[str]] = mapped_column(default=list)
