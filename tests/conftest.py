"""Shared fixtures: a fresh, migrated database per test on SQLite and (when configured)
PostgreSQL, the app built on it with a frozen clock, and an HTTP client."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.pg_pool import PgPool
from tocsin.auth import secrets
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import Tocsin, build
from tocsin.core.clock import FrozenClock
from tocsin.db import migrate
from tocsin.db.engine import build_engine, normalise_url
from tocsin.settings import Settings
from tocsin.web.app import create_app

PG_URL = os.environ.get("TOCSIN_TEST_POSTGRES_URL")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning


def _pg_admin_conninfo(url: str) -> str:
    parsed = make_url(normalise_url(url))
    return (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname={parsed.database or 'postgres'}"
        + (f" password={parsed.password}" if parsed.password else "")
    )


def _pg_url_for(url: str, database: str) -> str:
    return make_url(normalise_url(url)).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing() -> Iterator[None]:
    """argon2 at its lowest cost in this process: the tests set and check passwords
    thousands of times, and at the production cost (64 MiB, 3 passes, RFC 9106's
    low-memory profile) that was a large share of the suite. Same code, same hash format;
    the servers the reliability tests start as processes keep the production cost."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    name = f"tocsin_tpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_pg_admin_conninfo(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = build_engine(_pg_url_for(PG_URL, name), pool_size=1)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with psycopg.connect(_pg_admin_conninfo(PG_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url_for(database: str) -> str:
    """The URL of a database of the test cluster."""
    assert PG_URL
    return _pg_url_for(PG_URL, database)


def pool_for(template: str) -> PgPool:
    """Databases made from `template` (a database of the test cluster), reused."""
    assert PG_URL
    url = PG_URL
    return PgPool(
        admin_conninfo=_pg_admin_conninfo(url),
        template=template,
        conninfo_for=lambda name: _pg_admin_conninfo(_pg_url_for(url, name)),
    )


@pytest.fixture(scope="session")
def pg_pool(pg_template: str | None) -> Iterator[PgPool | None]:
    if not PG_URL or not pg_template:
        yield None
        return
    pool = pool_for(pg_template)
    yield pool
    pool.close()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="TOCSIN_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


def sqlite_copy(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated SQLite database copied from the session's template."""
    target = tmp_path / "tocsin.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


def fresh_database(
    backend: str, tmp_path: Path, sqlite_source: Path, pg_pool: PgPool | None
) -> Iterator[str]:
    """A database with what `sqlite_source` / the pool's template holds, for one test:
    a copy of the file on SQLite; on PostgreSQL one of the pool's, handed back after."""
    if backend == "sqlite":
        target = tmp_path / "tocsin.db"
        shutil.copy(sqlite_source, target)
        yield f"sqlite:///{target}"
        return
    assert PG_URL
    assert pg_pool
    name = pg_pool.acquire()
    yield _pg_url_for(PG_URL, name)
    pg_pool.release(name)


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_pool: PgPool | None,
) -> Iterator[str]:
    """A fresh, migrated, empty database for this test (on PostgreSQL, one as the
    template left it: see tests/pg_pool.py)."""
    yield from fresh_database(request.param, tmp_path, sqlite_template, pg_pool)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url)


def settings_for(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        engine_enabled=False,
        log_format="text",
        auto_close_days=7,
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[Tocsin]:
    tocsin = build(settings, clock=clock)
    yield tocsin
    tocsin.dispose()


@pytest.fixture
def admin(app: Tocsin) -> Principal:
    """The local administrator (what the CLI acts as)."""
    with app.db.read() as session:
        return system_principal(default_customer_id=default_customer(session).id)


def make_user(
    app: Tocsin,
    admin: Principal,
    email: str,
    role: Role,
    customer: str | None = None,
    password: str | None = None,
) -> tuple[Principal, str]:
    app.auth.create_user(
        admin, UserIn(email=email, role=role, customer=customer, password=password)
    )
    token = app.auth.create_token(admin, email=email, name="test")
    principal = app.auth.authenticate_token(token.token)
    assert principal is not None
    return principal, token.token


@pytest.fixture
def client(app: Tocsin) -> Iterator[TestClient]:
    with TestClient(create_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


T = TypeVar("T")


def run_on_own_loop(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run on a thread of its own: another test's event loop (the browser tests')
    may be running on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result(timeout=60)
