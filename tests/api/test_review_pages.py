"""The console's review pages beyond the browser test's happy path: who sees the incident
page's panel and its button, a stale save, refused action items."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlite_copy
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn
from tocsin.reviews.schemas import ReviewIn, ReviewPatch

from .conftest import World
from .test_console_input import sign_in


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the services behind these pages are tested on PostgreSQL too."""
    return sqlite_copy(tmp_path, sqlite_template)


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


def test_the_panel_offers_the_review_to_writers_only(world: World) -> None:
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

    sign_in(world, "requester")
    r = world.client.get("/reviews", follow_redirects=False)
    assert r.status_code in (302, 303)
    assert r.headers["location"].startswith("/portal")


def test_a_stale_save_keeps_what_was_typed(world: World) -> None:
    number = _resolved_p1(world)
    review = world.app.reviews.create(world.principals["agent"], ReviewIn(incident=number))
    world.app.reviews.patch(world.principals["manager"], str(review.id), ReviewPatch(summary="x"))
    csrf = sign_in(world, "agent")
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
