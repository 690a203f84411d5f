"""The console's review pages beyond the browser test's happy path: who sees the incident
page's panel and its button, a stale save, a refused action item."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn
from tocsin.reviews.schemas import ReviewPatch

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the services behind these pages are tested on PostgreSQL too."""
    return sqlite_only(request, tmp_path, sqlite_template)


def _resolved_p1(world: World) -> str:
    admin = world.principals["admin"]
    number = world.app.incidents.create(
        admin, IncidentIn(title="Mail down", customer="acme", impact=1, urgency=1)
    ).number
    world.app.actions.perform(
        admin,
        number,
        Action.RESOLVE,
        ActionIn(resolution_code="solved_permanently", resolution_notes="Restarted"),
    )
    return number


def _id(world: World, number: str) -> int:
    return world.app.incidents.get(world.principals["admin"], number).id


def test_the_panel_by_role_a_stale_save_and_a_refused_item(world: World) -> None:
    number = _resolved_p1(world)
    sign_in(world, "viewer")
    r = world.client.get(f"/incidents/{number}")
    assert 'id="review"' in r.text
    assert "required" in r.text
    assert "Start review" not in r.text
    assert world.client.get("/reviews").status_code == 200

    csrf = sign_in(world, "agent")
    assert "Start review" in world.client.get(f"/incidents/{number}").text
    r = world.client.get("/reviews")
    assert number in r.text  # listed as required and not started
    r = world.client.post(
        "/reviews", data={"csrf_token": csrf, "incident": number}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "?ok=review_started" in r.headers["location"]
    again = world.client.post("/reviews", data={"csrf_token": csrf, "incident": number})
    assert again.status_code == 409
    assert "already has a review" in again.text
    junk = world.client.post("/reviews", data={"csrf_token": csrf, "incident": "INC\x00"})
    assert junk.status_code == 422

    # Someone else saves meanwhile: the agent's save is refused and keeps what was typed.
    review = world.app.reviews.for_incident(world.principals["agent"], _id(world, number))
    assert review is not None
    world.app.reviews.patch(world.principals["manager"], str(review.id), ReviewPatch(summary="x"))
    r = world.client.post(
        f"/reviews/{review.id}",
        data={"csrf_token": csrf, "version": "1", "lessons": "Test the failover monthly."},
    )
    assert r.status_code == 412
    assert "Someone else saved this review" in r.text
    assert "Test the failover monthly." in r.text
    assert world.app.reviews.get(world.principals["agent"], str(review.id)).lessons == ""

    r = world.client.post(
        f"/reviews/{review.id}/action-items",
        data={"csrf_token": csrf, "title": "Canary", "owner": "carol@globex.test"},
    )
    assert r.status_code == 422
    assert 'value="Canary"' in r.text  # the form keeps the title
    assert world.app.reviews.get(world.principals["agent"], str(review.id)).action_items == []
