"""A heartbeat: the ping schedule and state of one heartbeat integration."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class HeartbeatState(StrEnum):
    WAITING = "waiting"  # created, never pinged
    UP = "up"
    DOWN = "down"  # a ping is overdue: its alert is open until the next ping


class Heartbeat(Base):
    __tablename__ = "heartbeats"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    interval_seconds: Mapped[int]
    grace_seconds: Mapped[int]
    last_ping_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default=HeartbeatState.WAITING.value)
    down_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
