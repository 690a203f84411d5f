"""Migrations run up and down on both databases and match the models exactly."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import START
from tocsin.db import migrate
from tocsin.db.engine import build_engine
from tocsin.migrations.models import metadata


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
        with engine.connect() as connection, warnings.catch_warnings():
            # SQLAlchemy does not reflect SQLite's indexes on expressions; that they match
            # the models' is checked by what they are for (tests/integration/test_reports_sql).
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expr")
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
    finally:
        engine.dispose()


def _before(revision: str) -> str:
    revisions = migrate.revisions()
    return revisions[revisions.index(revision) - 1]


def _insert(connection: Connection, table: str, **values: object) -> int:
    columns = ", ".join(values)
    names = ", ".join(f":{name}" for name in values)
    return int(
        connection.execute(
            text(f"INSERT INTO {table} ({columns}) VALUES ({names}) RETURNING id"), values
        ).scalar_one()
    )


def _team(connection: Connection, customer_id: int, slug: str) -> int:
    return _insert(
        connection, "teams", slug=slug, name=slug, customer_id=customer_id, created_at=START
    )


def _customer(connection: Connection, slug: str) -> int:
    return _insert(
        connection, "customers", slug=slug, name=slug, is_default=False, created_at=START
    )


def test_slugs_per_customer_keep_what_points_at_teams(database_url: str) -> None:
    """SQLite rebuilds the table to change its constraints: the rows that point at a team
    (members, services) survive it, on both databases."""
    engine = build_engine(database_url, pool_size=1)
    try:
        migrate.downgrade(engine, _before("0008"))
        with engine.begin() as connection:
            customer = connection.execute(text("SELECT id FROM customers")).scalar_one()
            team = _team(connection, customer, "ops")
            user = _insert(
                connection,
                "users",
                email="a@example.com",
                name="a",
                role="agent",
                customer_id=customer,
                time_zone="UTC",
                active=True,
                created_at=START,
            )
            connection.execute(
                text("INSERT INTO team_members (team_id, user_id) VALUES (:t, :u)"),
                {"t": team, "u": user},
            )
            _insert(
                connection,
                "services",
                slug="web",
                name="Web",
                description="",
                customer_id=customer,
                team_id=team,
                created_at=START,
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM team_members")).scalar() == 1
            assert connection.execute(text("SELECT team_id FROM services")).scalar() == team
            acme = _customer(connection, "acme")
            _team(connection, acme, "ops")  # the same slug, another customer: allowed now
            with pytest.raises(IntegrityError):
                _team(connection, acme, "ops")
    finally:
        engine.dispose()


def test_downgrade_refuses_while_customers_share_a_slug(database_url: str) -> None:
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.begin() as connection:
            _team(connection, _customer(connection, "acme"), "ops")
            globex_ops = _team(connection, _customer(connection, "globex"), "ops")
        with pytest.raises(RuntimeError, match=r"several customers share these \(teams: ops\)"):
            migrate.downgrade(engine, _before("0008"))
        assert migrate.is_current(engine)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE teams SET slug = 'globex-ops' WHERE id = :id"), {"id": globex_ops}
            )
        migrate.downgrade(engine, _before("0008"))
        assert migrate.current(engine) == _before("0008")
    finally:
        engine.dispose()
