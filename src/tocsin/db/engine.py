"""Engine construction: SQLite in WAL mode with sane pragmas, or PostgreSQL via psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url

from tocsin.core.private_files import create_private


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def build_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _create_private_file(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is bypassed: writers take the write lock up
        # front (BEGIN IMMEDIATE) so two writers never deadlock upgrading a read lock, and
        # readers get a consistent snapshot without blocking anyone (WAL).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def _create_private_file(url: str) -> None:
    """A new database file is made private before SQLite opens it (SQLite would make it,
    and its -wal and -shm files, readable by everyone on the host)."""
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
        return
    if database.startswith("file:"):  # a URI filename: SQLite's own business
        return
    create_private(Path(database))


# Small pages: a write changes a few rows scattered over many pages (a row in each of a
# dozen indexes), and SQLite edits, logs and copies back whole pages: smaller pages make an
# alert's write cheaper, for a somewhat slower scan of long incident lists (both measured
# by the benchmarks). Only a new file takes it; the operator guide says how to convert.
SQLITE_PAGE_SIZE = 1024
# What the WAL file may keep on disk once it starts over. It normally starts over at
# about 32 MB (db/checkpoint.py: 32,768 pages of 1 KB), so this only
# gives back what an unusual stretch left behind (a long read, such as a backup, holds
# back every checkpoint meanwhile); without it the file keeps its largest size until
# Tocsin stops.
SQLITE_WAL_LIMIT = 64 * 1024 * 1024


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener issue BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # takes effect on a new file only
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_LIMIT}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    write = connection.get_execution_options().get("tocsin_write")
    # On the driver connection: SQLAlchemy's execution layer (events, a cursor wrapper)
    # would triple the cost of a short transaction.
    connection.connection.dbapi_connection.execute(_BEGIN_WRITE if write else _BEGIN_READ)


_BEGIN_WRITE = "BEGIN IMMEDIATE"
_BEGIN_READ = "BEGIN DEFERRED"
