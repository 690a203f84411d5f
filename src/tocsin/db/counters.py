"""Named counters for human numbers (INC0001001, ...), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import String, Table, bindparam, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from tocsin.db.base import Base


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int]


_COUNTERS: Table = Counter.__table__  # type: ignore[assignment]
# A Core statement, built once: numbering runs in every transaction that opens incidents.
_TAKE = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + bindparam("count"))
    .returning(_COUNTERS.c.value)
)


def take(session: Session, name: str, count: int = 1) -> int:
    """Reserve `count` consecutive values and return the first one.

    The UPDATE takes a row lock (PostgreSQL) or runs under the write lock (SQLite), so two
    transactions never receive the same number.
    """
    new_value = session.connection().execute(_TAKE, {"counter": name, "count": count}).scalar()
    if new_value is None:
        raise LookupError(f"counter {name!r} does not exist; run the migrations")
    return int(new_value) - count + 1
