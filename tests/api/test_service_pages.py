"""The console's services: list with open incidents, create and edit forms, CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tocsin.incidents.schemas import IncidentIn

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


def test_a_requester_is_sent_to_the_portal(world: World) -> None:
    sign_in(world, "requester")
    for path in ("/services", "/services/new", "/services.csv", "/services/acme-web"):
        r = world.client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/portal"


def test_the_list_shows_services_with_their_open_incidents(world: World) -> None:
    world.app.incidents.create(
        world.principals["admin"], IncidentIn(title="Site slow", service="acme-web")
    )
    sign_in(world, "agent")
    r = world.client.get("/services")
    assert r.status_code == 200, r.text
    assert "Acme website" in r.text
    assert "Globex ERP" in r.text
    assert 'href="/?service=acme-web&amp;customer=acme">1 open</a>' in r.text
    assert 'href="/services/acme-web?customer=acme#integrations">1</a>' in r.text
    assert "New service" not in r.text  # an agent cannot create one


def test_an_agent_sees_a_service_but_cannot_change_it(world: World) -> None:
    csrf = sign_in(world, "agent")
    r = world.client.get("/services/acme-web", params={"customer": "acme"})
    assert r.status_code == 200
    assert "Save service" not in r.text
    assert 'href="/integrations/' in r.text  # acme-monitoring sends to it
    assert world.client.get("/services/new").status_code == 403
    r = world.client.post(
        "/services/acme-web?customer=acme",
        data={"csrf_token": csrf, "name": "Hijacked", "description": ""},
    )
    assert r.status_code == 403
    service = world.app.catalog.get_service(world.principals["admin"], "acme-web")
    assert service.name == "Acme website"
    r = world.client.post("/services", data={"csrf_token": csrf, "slug": "x", "name": "X"})
    assert r.status_code == 403


def test_a_manager_creates_and_edits_a_service(world: World) -> None:
    csrf = sign_in(world, "manager")
    assert "New service" in world.client.get("/services").text
    r = world.client.post(
        "/services",
        data={
            "csrf_token": csrf,
            "slug": "mail",
            "name": "Mail",
            "team": "ops",
            "description": "Outgoing and incoming mail",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/services/mail?customer=default&ok=service_created"
    page = world.client.get(r.headers["location"])
    assert "Service created." in page.text
    assert '<option value="ops" selected>' in page.text

    r = world.client.post(
        "/services/mail?customer=default",
        data={"csrf_token": csrf, "name": "Mail relay", "team": "", "description": "Relay"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    service = world.app.catalog.get_service(world.principals["admin"], "mail")
    assert (service.name, service.team, service.description) == ("Mail relay", None, "Relay")


def test_refused_forms_keep_what_was_typed(world: World) -> None:
    csrf = sign_in(world, "admin")
    r = world.client.post(
        "/services",
        data={"csrf_token": csrf, "slug": "Not A Slug!", "name": "Billing", "description": "d1"},
    )
    assert r.status_code == 422, r.text
    assert 'value="Not A Slug!"' in r.text
    assert 'value="Billing"' in r.text
    assert "d1</textarea>" in r.text
    assert 'class="field-error"' in r.text

    r = world.client.post(
        "/services",
        data={"csrf_token": csrf, "slug": "acme-web", "name": "Again", "customer": "acme"},
    )
    assert r.status_code == 409
    assert "already has a service" in r.text

    r = world.client.post(
        "/services/acme-web?customer=acme",
        data={"csrf_token": csrf, "name": "", "description": "kept text"},
    )
    assert r.status_code == 422
    assert "kept text</textarea>" in r.text
    assert "This field" in r.text or "at least" in r.text


def test_an_unknown_service_is_a_404_page(world: World) -> None:
    sign_in(world, "agent")
    r = world.client.get("/services/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")


def test_the_csv_lists_every_service(world: World) -> None:
    world.app.incidents.create(
        world.principals["admin"], IncidentIn(title="Site slow", service="acme-web")
    )
    sign_in(world, "viewer")
    r = world.client.get("/services.csv")
    assert r.status_code == 200
    assert 'filename="services.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["acme-web"]["open_incidents"] == "1"
    assert by_slug["acme-web"]["integrations"] == "1"
    assert by_slug["acme-web"]["team"] == "ops"
    assert by_slug["globex-erp"]["open_incidents"] == "0"
