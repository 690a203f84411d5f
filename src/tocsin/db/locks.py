"""Leases in the database: one holder at a time per engine module, across processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, or_, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from tocsin.db.base import Base
from tocsin.db.upsert import insert_ignore


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None]


def try_acquire(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder` if it is free, expired or already ours.

    A single conditional UPDATE decides, so two processes racing for one lease cannot both
    win on either database.
    """
    insert_ignore(session, Lease.__table__, {"name": name})  # type: ignore[arg-type]
    won = session.execute(
        update(Lease)
        .where(Lease.name == name)
        .where(or_(Lease.holder.is_(None), Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
    )
    return bool(won.rowcount)  # type: ignore[attr-defined]


def release(session: Session, *, name: str, holder: str) -> None:
    session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(holder=None, expires_at=None)
    )
