"""A populated world for API tests: two customers besides the default one, every role (the
provider's staff, and a tenant's own staff and requesters). It is made through the
services once per worker and backend; each test that asks for it gets a copy of that
database (WorldSnapshots)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import (
    BACKENDS,
    START,
    fresh_database,
    make_user,
    pg_url_for,
    pool_for,
    run_on_own_loop,
    settings_for,
    sqlite_copy,
)
from tests.pg_pool import PgPool
from tocsin.alerts.schemas import IntegrationIn, MaintenanceWindowIn
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import Tocsin, build
from tocsin.catalog.schemas import ServiceIn, TeamIn
from tocsin.core.clock import FrozenClock
from tocsin.db.engine import build_engine
from tocsin.sla.schemas import CalendarIn, SlaPolicyIn


@dataclass
class World:
    app: Tocsin
    client: TestClient
    tokens: dict[str, str]
    principals: dict[str, Principal]
    extra: dict[str, object]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


# name -> (email, role, customer)
PEOPLE = {
    "admin": ("admin@example.com", Role.ADMIN, None),
    "manager": ("manager@example.com", Role.MANAGER, None),
    "agent": ("agent@example.com", Role.AGENT, None),
    "viewer": ("viewer@example.com", Role.VIEWER, None),
    "requester": ("alice@acme.test", Role.REQUESTER, "acme"),
    "requester2": ("bob@acme.test", Role.REQUESTER, "acme"),
    "acme_agent": ("agent@acme.test", Role.AGENT, "acme"),
    # A tenant's own administrator and manager: they act only inside acme.
    "acme_admin": ("admin@acme.test", Role.ADMIN, "acme"),
    "acme_manager": ("manager@acme.test", Role.MANAGER, "acme"),
    "globex_requester": ("carol@globex.test", Role.REQUESTER, "globex"),
    "globex_agent": ("agent@globex.test", Role.AGENT, "globex"),
}


def populate(app: Tocsin, admin: Principal) -> WorldSnapshot:
    """The world's customers, people (with a token each), teams, services, integration,
    maintenance window, calendar and SLA policy, made through the services."""
    app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme Corp"))
    app.auth.create_customer(admin, CustomerIn(slug="globex", name="Globex"))
    tokens: dict[str, str] = {}
    principals: dict[str, Principal] = {}
    for name, (email, role, customer) in PEOPLE.items():
        principals[name], tokens[name] = make_user(app, admin, email, role, customer)
    app.catalog.create_team(
        admin,
        TeamIn(slug="ops", name="Operations", members=["agent@example.com", "manager@example.com"]),
    )
    app.catalog.create_team(
        admin, TeamIn(slug="dba", name="Databases", members=["admin@example.com"])
    )
    app.catalog.create_team(
        admin,
        TeamIn(
            slug="globex-it", name="Globex IT", customer="globex", members=["agent@globex.test"]
        ),
    )
    app.catalog.create_service(
        admin, ServiceIn(slug="acme-web", name="Acme website", customer="acme", team="ops")
    )
    app.catalog.create_service(
        admin, ServiceIn(slug="globex-erp", name="Globex ERP", customer="globex", team="globex-it")
    )
    integration = app.integrations.create(
        admin, IntegrationIn(type="generic", name="acme-monitoring", service="acme-web")
    )
    window = app.alerts.create_window(
        admin,
        MaintenanceWindowIn(
            customer="acme",
            start=app.clock.now() + timedelta(days=30),
            end=app.clock.now() + timedelta(days=30, hours=1),
        ),
    )
    # A provider calendar and SLA policy (the route-access tests address them).
    app.sla.calendars.create(
        admin,
        CalendarIn(slug="office", time_zone="Europe/Berlin", hours={"mon": ["09:00", "17:00"]}),
    )
    app.sla.policies.create(
        admin,
        SlaPolicyIn(name="P1", slug="p1", priority=1, response_minutes=15, resolution_minutes=240),
    )
    return WorldSnapshot(
        tokens=tokens,
        principals=principals,
        extra={
            "integration_id": integration.id,
            "integration_key": integration.key,
            "window_id": window.id,
        },
    )


@dataclass
class WorldSnapshot:
    """A world made once per worker and backend: its database (a SQLite file, or a
    PostgreSQL template with its pool) and what the tests need from its making. Each test
    that asks for the world starts on a copy of that database, made in milliseconds
    instead of a quarter of a second of service calls."""

    tokens: dict[str, str]
    principals: dict[str, Principal]
    extra: dict[str, object]
    sqlite_file: Path | None = None
    pool: PgPool | None = None


class WorldSnapshots:
    def __init__(self, tmp: pytest.TempPathFactory, sqlite_template: Path, pg_template: str | None):
        self._tmp = tmp
        self._sqlite_template = sqlite_template
        self._pg_template = pg_template
        self._made: dict[str, WorldSnapshot] = {}
        self._pg_world: str | None = None

    def get(self, backend: str) -> WorldSnapshot:
        if backend not in self._made:
            self._made[backend] = self._sqlite() if backend == "sqlite" else self._postgres()
        return self._made[backend]

    def _populated(self, url: str) -> WorldSnapshot:
        app = build(settings_for(url), clock=FrozenClock(START))
        try:
            with app.db.read() as session:
                admin = system_principal(default_customer_id=default_customer(session).id)
            return populate(app, admin)
        finally:
            app.dispose()

    def _sqlite(self) -> WorldSnapshot:
        path = self._tmp.mktemp("world") / "world.db"
        shutil.copy(self._sqlite_template, path)
        snapshot = self._populated(f"sqlite:///{path}")
        engine = build_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        snapshot.sqlite_file = path
        return snapshot

    def _postgres(self) -> WorldSnapshot:
        assert self._pg_template
        maker = pool_for(self._pg_template)
        name = maker.acquire()
        maker.made.remove(name)  # kept past the maker: the world pool's template
        self._pg_world = name
        snapshot = self._populated(pg_url_for(name))
        maker.terminate(name)
        snapshot.pool = pool_for(name)
        return snapshot

    def close(self) -> None:
        for snapshot in self._made.values():
            if snapshot.pool is not None:
                snapshot.pool.close()
        if self._pg_world is not None:
            pool_for(self._pg_world).drop(self._pg_world)


@pytest.fixture(scope="session")
def world_snapshots(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, pg_template: str | None
) -> Iterator[WorldSnapshots]:
    snapshots = WorldSnapshots(tmp_path_factory, sqlite_template, pg_template)
    yield snapshots
    snapshots.close()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_pool: PgPool | None,
    world_snapshots: WorldSnapshots,
) -> Iterator[str]:
    """As tests/conftest.py's, but for a test that asks for the world, a copy of the
    world's database."""
    if "world" not in request.node.fixturenames:
        yield from fresh_database(request.param, tmp_path, sqlite_template, pg_pool)
        return
    snapshot = world_snapshots.get(request.param)
    yield from fresh_database(
        request.param, tmp_path, snapshot.sqlite_file or sqlite_template, snapshot.pool
    )


def sqlite_only(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """database_url for a module whose tests run on SQLite only: the world's copy when
    the test asks for the world."""
    if "world" not in request.node.fixturenames:
        return sqlite_copy(tmp_path, sqlite_template)
    snapshots: WorldSnapshots = request.getfixturevalue("world_snapshots")
    source = snapshots.get("sqlite").sqlite_file
    assert source is not None
    return sqlite_copy(tmp_path, source)


@pytest.fixture
def world(
    app: Tocsin,
    client: TestClient,
    world_snapshots: WorldSnapshots,
) -> World:
    snapshot = world_snapshots.get(app.db.dialect.replace("postgresql", "postgres"))
    if app.auth.authenticate_token(snapshot.tokens["admin"]) is None:
        raise AssertionError(
            "The database is not a copy of the world's: a module that overrides "
            "database_url gives the world's copy with sqlite_only()."
        )
    return World(
        app=app,
        client=client,
        tokens=dict(snapshot.tokens),
        principals=dict(snapshot.principals),
        extra=dict(snapshot.extra),
    )


def post_in_pieces(
    world: World, path: str, messages: list[dict[str, Any]], **scope: Any
) -> list[Any]:
    """Drive the ASGI app as the server does, the body in the given pieces (a hang-up when
    they run out); answer what the app sent."""
    full = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        **scope,
    }
    pending = list(messages)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    async def main() -> list[Any]:
        await world.client.app(full, receive, send)
        return sent

    return run_on_own_loop(main)
