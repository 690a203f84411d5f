"""Named counters for human numbers (INC0001001, ...), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from tocsin.db.base import Base


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int]


def take(session: Session, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive values and return the first one.

    The UPDATE takes a row lock (PostgreSQL) or runs under the write lock (SQLite), so two
    transactions never receive the same number.
    """
    new_value = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if new_value is None:
        raise LookupError(f"counter {name!r} does not exist; run the migrations")
    return int(new_value) - count + 1
