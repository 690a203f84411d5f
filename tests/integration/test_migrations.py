"""Migrations run up and down on both databases and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tocsin.db import migrate
from tocsin.db.engine import build_engine
from tocsin.db.metadata import metadata


def test_down_to_base_and_up_again(database_url: str) -> None:
    engine = build_engine(database_url, pool_size=1)
    try:
        assert migrate.is_current(engine)
        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        for revision in migrate.revisions():
            migrate.upgrade(engine, revision)
            assert migrate.current(engine) == revision
        assert migrate.is_current(engine)
    finally:
        engine.dispose()


def test_schema_matches_the_models(database_url: str) -> None:
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
    finally:
        engine.dispose()
