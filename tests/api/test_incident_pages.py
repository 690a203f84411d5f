"""The incident page's link forms, and what the portal keeps from requesters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn, LinkIn, NoteIn

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


def _incident(world: World, title: str, **fields: object) -> str:
    admin = world.principals["admin"]
    data = IncidentIn.model_validate({"title": title, "customer": "acme", **fields})
    return world.app.incidents.create(admin, data).number


def test_the_link_form_keeps_the_number_and_says_what_is_wrong(world: World) -> None:
    a, b = _incident(world, "A"), _incident(world, "B")
    csrf = sign_in(world, "agent")
    path = f"/incidents/{a}/links"
    r = world.client.post(path, data={"csrf_token": csrf, "incident": "INC0004242"})
    assert r.status_code == 422
    assert "There is no incident &#39;INC0004242&#39; you can link to" in r.text
    assert 'value="INC0004242"' in r.text
    r = world.client.post(path, data={"csrf_token": csrf, "incident": a, "kind": "related"})
    assert r.status_code == 422
    assert f"{a} cannot be linked to itself" in r.text
    r = world.client.post(path, data={"csrf_token": csrf, "incident": b, "kind": "blocks"})
    assert r.status_code == 422
    assert "Please correct the marked fields." in r.text
    r = world.client.post(
        path,
        data={"csrf_token": csrf, "incident": b, "kind": "caused_by"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/incidents/{a}?ok=link#links"
    assert [x.relation for x in world.app.incident_links.linked(world.principals["agent"], b)] == [
        "cause of"
    ]


def test_unlinking_a_link_that_is_gone_says_so(world: World) -> None:
    a, b = _incident(world, "A"), _incident(world, "B")
    link = world.app.incident_links.link(world.principals["agent"], a, LinkIn(incident=b))
    csrf = sign_in(world, "agent")
    path = f"/incidents/{b}/links/{link.link_id}/delete"
    r = world.client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    r = world.client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 422
    assert f"{b} has no link {link.link_id}" in r.text
    r = world.client.post(f"/incidents/{b}/links/{'9' * 30}/delete", data={"csrf_token": csrf})
    assert r.status_code == 422


def test_requesters_cannot_link_from_the_console(world: World) -> None:
    a, b = _incident(world, "A"), _incident(world, "B")
    csrf = sign_in(world, "requester")
    r = world.client.post(
        f"/incidents/{a}/links",
        data={"csrf_token": csrf, "incident": b},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/portal"
    assert world.app.incident_links.linked(world.principals["agent"], a) == []


def test_the_portal_ticket_shows_nothing_staff_only(world: World) -> None:
    number = _incident(world, "Laptop will not boot", requester="alice@acme.test", team="ops")
    agent = world.principals["agent"]
    world.app.actions.perform(agent, number, Action.ASSIGN, ActionIn(assignee="agent@example.com"))
    world.app.incidents.add_note(
        agent, number, NoteIn(body="Firmware bug, see KB-17.", internal=True)
    )
    world.app.incidents.add_note(
        agent, number, NoteIn(body="Swapping it tomorrow.", internal=False)
    )
    other = _incident(world, "Related outage")
    world.app.incident_links.link(agent, number, LinkIn(incident=other))
    sign_in(world, "requester")
    r = world.client.get(f"/portal/incidents/{number}")
    assert r.status_code == 200
    html = r.text
    assert "Swapping it tomorrow." in html
    assert "Service desk" in html
    assert "Assigned to the service desk" in html
    for hidden in ("Firmware bug", "KB-17", "agent@example.com", "Operations", other, "live.js"):
        assert hidden not in html, hidden
    listing = world.client.get("/portal").text
    assert "Laptop will not boot" in listing
    assert "agent@example.com" not in listing


def test_the_portal_report_form_keeps_what_was_typed(world: World) -> None:
    csrf = sign_in(world, "requester")
    r = world.client.post(
        "/portal/incidents",
        data={"csrf_token": csrf, "title": "", "description": "It beeps.", "urgency": "1"},
    )
    assert r.status_code == 422
    assert "It beeps." in r.text
    assert "This field is required." in r.text
    assert world.app.incidents.count() == 0
