"""Schedules, their overrides, and escalation policies as stored.

A schedule's layers and a policy's levels are JSON documents holding user, schedule and
team ids (never e-mails or slugs, which may change); the service turns them into the
names people read and write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class Schedule(Base):
    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("customer_id", "slug", name="uq_schedules_customer_id_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    # [{"name", "start" (ISO 8601), "rotation", "handoff", "users": [user id...],
    #   "restrictions": [{"days", "start", "end"}]}]
    layers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class ScheduleOverride(Base):
    __tablename__ = "schedule_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"
    __table_args__ = (
        UniqueConstraint("customer_id", "slug", name="uq_escalation_policies_customer_id_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    repeat: Mapped[int] = mapped_column(default=0)
    # [{"delay_minutes": M, "targets": [{"type": "user"|"schedule"|"team", "id": N}]}]
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
