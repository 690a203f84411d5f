"""Integration fixtures: a small organisation built through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import make_user
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import ServiceIn, TeamIn
from tocsin.incidents.schemas import IncidentIn, IncidentOut


@dataclass
class Org:
    app: Tocsin
    admin: Principal
    agent: Principal
    agent2: Principal
    requester: Principal

    def open(self, **fields: object) -> IncidentOut:
        data = {"title": "Something broke", **fields}
        return self.app.incidents.create(self.admin, IncidentIn(**data))  # type: ignore[arg-type]


@pytest.fixture
def org(app: Tocsin, admin: Principal) -> Org:
    app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme"))
    agent, _ = make_user(app, admin, "agent@example.com", Role.AGENT)
    agent2, _ = make_user(app, admin, "agent2@example.com", Role.AGENT)
    requester, _ = make_user(app, admin, "alice@acme.test", Role.REQUESTER, "acme")
    app.catalog.create_team(
        admin, TeamIn(slug="ops", name="Ops", members=["agent@example.com", "agent2@example.com"])
    )
    app.catalog.create_team(
        admin, TeamIn(slug="net", name="Network", members=["agent2@example.com"])
    )
    app.catalog.create_service(
        admin, ServiceIn(slug="web", name="Web", customer="acme", team="ops")
    )
    return Org(app=app, admin=admin, agent=agent, agent2=agent2, requester=requester)
