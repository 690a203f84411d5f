"""INSERT ... ON CONFLICT DO NOTHING for whichever database is in use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that skips rows whose unique keys are taken."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> None:
    session.execute(insert_ignoring(session, table).values(**values))
