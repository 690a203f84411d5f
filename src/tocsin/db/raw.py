"""Statements on the driver's cursor, inside the session's transaction: for the hot paths.

SQLAlchemy's execution layer costs tens of microseconds per statement (parameter
processing, result wrapping), more than SQLite needs to run it. The alert pipeline and the
audit append run many small statements per batch, so they speak to the DBAPI cursor
directly, with SQL written once for both databases (`?` placeholders) and values stored
exactly as the ORM's column types store them, so the ORM reads them back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session


@lru_cache(maxsize=512)
def _for_postgres(sql: str) -> str:
    # psycopg's placeholder is %s; a literal % in the SQL must be doubled.
    return sql.replace("%", "%%").replace("?", "%s")


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


class Raw:
    """The driver cursor of a session's connection (same transaction as the session)."""

    __slots__ = ("_cursor", "postgres")

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.postgres = connection.dialect.name == "postgresql"
        self._cursor = connection.connection.cursor()

    def _sql(self, sql: str) -> str:
        return _for_postgres(sql) if self.postgres else sql

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), params)
        return list(self._cursor.fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self._cursor.execute(self._sql(sql), params)
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._sql(sql), params)

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self._cursor.executemany(self._sql(sql), rows)

    def at(self, value: datetime | None) -> Any:
        """A datetime as `UTCDateTime` stores it: naive UTC text on SQLite (SQLAlchemy's
        format), aware on PostgreSQL (timestamptz)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        if self.postgres:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool) -> Any:
        return value if self.postgres else int(value)


def json_text(value: Any) -> str:
    """A JSON column's value as SQLAlchemy's JSON type writes it (PostgreSQL casts the
    untyped text to json on insert)."""
    return json.dumps(value)
