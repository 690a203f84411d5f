"""GET /events: the console's live stream is for signed-in staff, and not part of the API."""

from __future__ import annotations

from .conftest import World
from .test_console_input import sign_in


def test_a_requester_is_sent_to_the_portal_not_given_the_stream(world: World) -> None:
    sign_in(world, "requester")
    r = world.client.get("/events", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/portal"
    assert world.app.live.subscriber_count == 0


def test_signed_out_the_stream_sends_to_sign_in(world: World) -> None:
    r = world.client.get("/events", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    assert not world.app.live.running  # nobody subscribed: the bus never started


def test_the_stream_is_not_in_the_api_schema(world: World) -> None:
    assert "/events" not in world.client.get("/openapi.json").json()["paths"]


def test_every_staff_page_loads_the_live_script_and_no_requester_page_does(world: World) -> None:
    sign_in(world, "agent")
    page = world.client.get("/").text
    assert '<script src="/static/live.js" defer></script>' in page
    assert 'id="live-status"' in page
    assert 'id="queue-rows" data-live="incidents"' in page
    world.client.cookies.clear()
    sign_in(world, "requester")
    assert "live.js" not in world.client.get("/portal").text
