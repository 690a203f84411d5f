"""The console's integrations: list with inbound addresses, create form, test alert, CSV."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest

from tocsin.audit.service import list_entries

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


def created_key(page: str) -> str:
    found = re.search(
        r'<label for="([\w-]+)">(?:Integration|Routing) key</label>\s*'
        r'<div class="copy-row">\s*<input id="\1" class="mono" value="([0-9a-f]{32})"',
        page,
    )
    assert found is not None, page
    return found.group(2)


def integration_count(world: World) -> int:
    return len(world.app.integrations.list_all(world.principals["admin"]).items)


def test_a_requester_is_sent_to_the_portal(world: World) -> None:
    sign_in(world, "requester")
    for path in ("/integrations", "/integrations/new", "/integrations.csv"):
        r = world.client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/portal"


def test_the_list_shows_each_integration_and_where_it_receives(world: World) -> None:
    world.client.post(
        "/api/v1/ingest/generic",
        headers={"Authorization": f"Bearer {world.extra['integration_key']}"},
        json={"summary": "x", "dedup_key": "x"},
    )
    sign_in(world, "viewer")
    r = world.client.get("/integrations")
    assert r.status_code == 200, r.text
    assert "acme-monitoring" in r.text
    assert 'href="/services/acme-web?customer=acme"' in r.text
    assert 'value="http://127.0.0.1:8000/api/v1/ingest/generic?key=&lt;key&gt;"' in r.text
    assert "Authorization: Bearer &lt;key&gt;" in r.text
    assert f'href="/alerts?integration={world.extra["integration_id"]}">1</a>' in r.text
    assert 'data-copy="' in r.text
    assert "/static/copy.js" in r.text
    assert "New integration" not in r.text  # a viewer cannot create one


def test_an_agent_reads_but_cannot_create_or_test(world: World) -> None:
    csrf = sign_in(world, "agent")
    assert "New integration" not in world.client.get("/integrations").text
    page = world.client.get(f"/integrations/{world.extra['integration_id']}")
    assert page.status_code == 200
    assert "Send a test alert" not in page.text
    assert world.client.get("/integrations/new").status_code == 403
    before = integration_count(world)
    r = world.client.post(
        "/integrations", data={"csrf_token": csrf, "name": "sneaky", "type": "generic"}
    )
    assert r.status_code == 403
    assert "does not allow" in r.text
    assert integration_count(world) == before
    r = world.client.post(
        f"/integrations/{world.extra['integration_id']}/test",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert world.app.incidents.count() == 0


def test_an_admin_creates_a_pagerduty_integration_and_its_key_works(world: World) -> None:
    csrf = sign_in(world, "admin")
    assert "New integration" in world.client.get("/integrations").text
    form = world.client.get("/integrations/new")
    assert form.status_code == 200
    assert 'name="type"' in form.text
    r = world.client.post(
        "/integrations",
        data={
            "csrf_token": csrf,
            "name": "PD bridge",
            "type": "pagerduty",
            "service": "acme-web",
            "auto_resolve": "on",
        },
    )
    assert r.status_code == 201, r.text
    assert "shown only on this page" in r.text
    key = created_key(r.text)
    assert 'value="http://127.0.0.1:8000/v2/enqueue"' in r.text
    assert f'value="{key}"' in r.text  # the routing key, to copy
    sent = world.client.post(
        "/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "Checkout down", "source": "shop", "severity": "critical"},
        },
    )
    assert sent.status_code == 202, sent.text
    assert "Checkout down" in world.client.get("/alerts").text
    # Later the key is not shown again, only where it goes.
    detail = world.client.get("/integrations")
    assert key not in detail.text


def test_a_refused_form_keeps_what_was_typed(world: World) -> None:
    csrf = sign_in(world, "manager")
    before = integration_count(world)
    r = world.client.post(
        "/integrations",
        data={"csrf_token": csrf, "name": "", "type": "alertmanager", "group_by": "source"},
    )
    assert r.status_code == 422, r.text
    assert "This field is required." in r.text
    assert '<option value="alertmanager" selected>' in r.text
    assert 'value="source"' in r.text

    r = world.client.post(
        "/integrations",
        data={"csrf_token": csrf, "name": "mail", "type": "email", "parser": "{not json"},
    )
    assert r.status_code == 422
    assert "Sender settings must be a JSON object" in r.text
    assert "{not json" in html.unescape(r.text)

    r = world.client.post(
        "/integrations",
        data={"csrf_token": csrf, "name": "beat", "type": "heartbeat", "auto_resolve": "on"},
    )
    assert r.status_code == 422
    assert 'value="beat"' in r.text

    r = world.client.post(
        "/integrations",
        data={"csrf_token": csrf, "name": "x", "type": "generic", "group_by": "colour"},
    )
    assert r.status_code == 422
    assert "key 'colour' is unknown" in html.unescape(r.text)
    assert 'value="colour"' in r.text
    assert integration_count(world) == before


def test_the_test_button_opens_an_incident_through_the_pipeline(world: World) -> None:
    csrf = sign_in(world, "admin")
    ident = world.extra["integration_id"]
    r = world.client.post(
        f"/integrations/{ident}/test",
        data={"csrf_token": csrf, "severity": "critical"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert re.fullmatch(r"/incidents/INC\d+\?ok=test_alert", location), location
    number = location.split("/")[2].split("?")[0]
    incident = world.app.incidents.get(world.principals["admin"], number)
    assert incident.title.startswith("Test alert from Tocsin")
    assert incident.priority == 1  # critical maps to P1, as a sender's alert would
    assert incident.service == "acme-web"
    page = world.client.get(location)
    assert "Test alert sent through the alert pipeline" in page.text
    stream = world.client.get("/alerts", params={"q": "Test alert"}).text
    assert f'href="/incidents/{number}"' in stream
    (entry,) = list_entries(
        world.app.db, world.principals["admin"], action="integration.tested"
    ).items
    assert entry.actor == "admin@example.com"
    assert entry.data["incident"] == number
    assert entry.data["result"] == "created"


def test_a_bad_severity_on_the_test_form_is_a_sentence(world: World) -> None:
    csrf = sign_in(world, "admin")
    r = world.client.post(
        f"/integrations/{world.extra['integration_id']}/test",
        data={"csrf_token": csrf, "severity": "apocalyptic"},
    )
    assert r.status_code == 422
    assert "severity must be one of" in r.text
    assert world.app.incidents.count() == 0


def test_the_csv_lists_every_integration(world: World) -> None:
    sign_in(world, "viewer")
    r = world.client.get("/integrations.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert [(row["name"], row["type"], row["service"]) for row in rows] == [
        ("acme-monitoring", "generic", "acme-web")
    ]
    assert rows[0]["alerts"] == "0"
    assert str(world.extra["integration_key"]) not in r.text
