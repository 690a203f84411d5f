"""Statements on the driver's cursor, inside a unit of work's transaction: for the hot paths.

SQLAlchemy's execution layer costs tens of microseconds per statement (parameter
processing, result wrapping), more than SQLite needs to run it. The alert pipeline and the
audit append run many small statements per batch, so they speak to the DBAPI cursor
directly, with SQL written once for both databases (`?` placeholders) and values stored
exactly as the ORM's column types store them, so the ORM reads them back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tocsin.core.jsontext import json_encoder


@lru_cache(maxsize=512)
def _for_postgres(sql: str) -> str:
    # psycopg's placeholder is %s (%b: binary, for arrays, whose text form psycopg builds
    # in Python with a regex per element); a literal % in the SQL must be doubled.
    return sql.replace("%", "%%").replace("?b", "%b").replace("?", "%s")


# (name, PostgreSQL type) of each column a statement writes: the type of its array.
Columns = Sequence[tuple[str, str]]
# (sql, parameters, whether it answers rows): one of the statements `Raw.together` runs.
Statement = tuple[str, Sequence[Any], bool]
CHUNK = 1000  # rows per multi-row statement: under both databases' limits on parameters


_INFO_KEY = "tocsin.raw"


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


class Raw:
    """The driver cursor of a connection, in its transaction (a unit of work's `raw`)."""

    __slots__ = ("_connection", "_cursor", "_last_at", "postgres")

    def __init__(self, connection: Connection) -> None:
        self.postgres = connection.dialect.name == "postgresql"
        self._connection = connection.connection
        self._cursor = connection.connection.cursor()
        self._last_at: tuple[datetime | None, str] = (None, "")

    @classmethod
    def of(cls, session: Session) -> Raw:
        """The session's Raw, made once per transaction: asking the session for its
        connection walks SQLAlchemy's transaction state each time. Only for sessions of a
        unit of work, which never outlive their one transaction."""
        raw: Raw | None = session.info.get(_INFO_KEY)
        if raw is None:
            raw = session.info[_INFO_KEY] = cls(session.connection())
        return raw

    @staticmethod
    def share(session: Session, raw: Raw) -> None:
        """Make `raw` what `Raw.of(session)` answers (a session on raw's connection)."""
        session.info[_INFO_KEY] = raw

    def together(self, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
        """Run independent statements in one round trip (psycopg's pipeline mode on
        PostgreSQL, where the wait for each answer, not the work, is most of a statement's
        time); answer each one's rows ([] for those without RETURNING or a SELECT)."""
        if not self.postgres:
            return [
                self.rows(sql, params) if rows else self._none(sql, params)
                for sql, params, rows in statements
            ]
        driver = self._connection.driver_connection
        assert driver is not None
        cursors = []
        with driver.pipeline():
            for sql, params, _ in statements:
                cursor = driver.cursor()
                cursor.execute(_for_postgres(sql), params)
                cursors.append(cursor)
        return [
            list(cursor.fetchall()) if rows else []
            for cursor, (_, _, rows) in zip(cursors, statements, strict=True)
        ]

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Statements run inside (answering nothing) go in one round trip on PostgreSQL;
        their errors are raised when the block ends."""
        if not self.postgres:
            yield
            return
        driver = self._connection.driver_connection
        assert driver is not None
        with driver.pipeline():
            yield

    def _none(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.run(sql, params)
        return []

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

    def insert(
        self,
        table: str,
        columns: Columns,
        rows: Iterable[Sequence[Any]],
        *,
        suffix: str = "",
    ) -> list[tuple[Any, ...]]:
        """Insert many rows with one statement; `suffix` may add ON CONFLICT and RETURNING
        (whose rows are answered, in no promised order).

        PostgreSQL: `INSERT ... SELECT * FROM unnest(arrays)`, one array per column, so the
        statement's text is the same for any number of rows and is prepared once (a
        multi-row VALUES list would be a new statement to parse and plan per batch size).
        SQLite: executemany of a one-row statement, run in C; multi-row VALUES (a thousand
        rows at a time) when rows must come back."""
        rows = list(rows)
        if not rows:
            return []
        names = ", ".join(name for name, _ in columns)
        if self.postgres:
            arrays = ", ".join(f"?b::{kind}[]" for _, kind in columns)
            sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){suffix}"
            arrays_ = [list(column) for column in zip(*rows, strict=True)]
            if "RETURNING" in suffix:
                return self.rows(sql, arrays_)
            self.run(sql, arrays_)
            return []
        one = "(" + placeholders(len(columns)) + ")"
        if not suffix:
            self._cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {one}", rows)
            return []
        answered: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            values = ", ".join([one] * len(chunk))
            answered += self.rows(
                f"INSERT INTO {table} ({names}) VALUES {values}{suffix}",
                [value for row in chunk for value in row],
            )
        return answered

    def any_of(self, column: str, kind: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
        """`column` is one of `values`: a WHERE fragment and its parameters (an IN list on
        SQLite, `= ANY(array)` on PostgreSQL: one statement text for any count)."""
        values = list(values)
        if self.postgres:
            return f"{column} = ANY(?b::{kind}[])", [values]
        return f"{column} IN ({placeholders(len(values))})", values

    def rowset(self, columns: Columns, rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
        """Rows as a table to join or update from, named `v` with the given column names."""
        if self.postgres:
            arrays = ", ".join(f"?b::{kind}[]" for _, kind in columns)
            names = ", ".join(name for name, _ in columns)
            return (
                f"unnest({arrays}) AS v({names})",
                [list(column) for column in zip(*rows, strict=True)],
            )
        aliases = ", ".join(f"column{n + 1} AS {name}" for n, (name, _) in enumerate(columns))
        values = ", ".join(["(" + placeholders(len(columns)) + ")"] * len(rows))
        return f"(SELECT {aliases} FROM (VALUES {values})) AS v", [x for r in rows for x in r]

    def at(self, value: datetime | None) -> Any:
        """A datetime as `UTCDateTime` stores it: naive UTC text on SQLite (SQLAlchemy's
        format), aware on PostgreSQL (timestamptz)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        if self.postgres:
            return value
        if value is not self._last_at[0]:  # a batch asks for its one `now` several times
            self._last_at = (value, value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
        return self._last_at[1]

    def flag(self, value: bool) -> Any:
        return value if self.postgres else int(value)


def json_text(value: Any) -> str:
    """A JSON column's value as SQLAlchemy's JSON type writes it (PostgreSQL casts the
    untyped text to json on insert)."""
    if not value and type(value) in _EMPTY:  # labels, tags: often empty
        return _EMPTY[type(value)]
    return _JSON(value)


_JSON = json_encoder()  # json.dumps's text


_EMPTY: dict[type, str] = {dict: "{}", list: "[]"}
