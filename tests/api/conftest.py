"""A populated world for API tests: two customers besides the default one, every role (the
provider's staff, and a tenant's own staff and requesters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_user, run_on_own_loop
from tocsin.alerts.schemas import IntegrationIn, MaintenanceWindowIn
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import ServiceIn, TeamIn
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


@pytest.fixture
def world(app: Tocsin, admin: Principal, client: TestClient) -> World:
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
    return World(
        app=app,
        client=client,
        tokens=tokens,
        principals=principals,
        extra={
            "integration_id": integration.id,
            "integration_key": integration.key,
            "window_id": window.id,
        },
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
