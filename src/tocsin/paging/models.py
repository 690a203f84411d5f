"""Escalation runs: where each incident stands in its escalation policy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base

ACTIVE_SQL = "status = 'active'"


class EscalationRun(Base):
    """One per incident that has an escalation policy. `level` and `round` name the next
    step to take, due at `next_at`; a reopened incident starts a new `generation`, so the
    pages of its new run are told apart from the old ones."""

    __tablename__ = "escalation_runs"
    __table_args__ = (
        # The escalation module's queue: active runs by when their next step is due.
        Index(
            "ix_escalation_runs_due",
            "next_at",
            sqlite_where=text(ACTIVE_SQL),
            postgresql_where=text(ACTIVE_SQL),
        ),
    )

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column(default=1)
    level: Mapped[int] = mapped_column(default=0)
    round: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))  # active | stopped | exhausted
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    next_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
