"""Named counters for human numbers (INC0001001, ...), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base
from tocsin.db.raw import Raw


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int]


_TAKE = "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value"


def take(raw: Raw, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive values and return the first one.

    The UPDATE takes a row lock (PostgreSQL) or runs under the write lock (SQLite), so two
    transactions never receive the same number. (On the driver cursor: numbering runs in
    every transaction that opens incidents.)
    """
    row = raw.one(_TAKE, (count, name))
    if row is None:
        raise LookupError(f"counter {name!r} does not exist; run the migrations")
    return int(row[0]) - count + 1
