"""Acknowledge / resolve links from notifications, through the web app: a GET shows and
changes nothing, a POST acts once as the link's user, and every refusal is a page."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from sqlalchemy import func, select

from tocsin.auth.schemas import UserPatch
from tocsin.core.clock import FrozenClock
from tocsin.incidents.models import TimelineEntry
from tocsin.incidents.schemas import IncidentIn, IncidentOut
from tocsin.notifications.models import OutboxMessage
from tocsin.paging.link_models import ActionLinkUse
from tocsin.web.sessions import COOKIE

from .conftest import World

BASE = "http://127.0.0.1:8000"
PASSWORD = "a good long password"


def open_incident(world: World) -> IncidentOut:
    return world.app.incidents.create(
        world.principals["admin"],
        IncidentIn(
            title="Checkout is down", customer="acme", service="acme-web", impact=1, urgency=1
        ),
    )


def links(world: World, incident: IncidentOut, who: str | None) -> dict[str, str]:
    return world.app.action_links.links_for(
        incident_id=incident.id,
        number=incident.number,
        user_id=world.principals[who].user_id if who else None,
        delivery_id="d-0001",
    )


def path_of(url: str) -> str:
    assert url.startswith(BASE + "/act/"), url
    return url.removeprefix(BASE)


def confirm_of(response: httpx.Response) -> str:
    found = re.search(r'name="confirm" value="([0-9a-f]+)"', response.text)
    assert found, response.text
    return found[1]


def footprint(world: World, incident: IncidentOut) -> tuple[str, int, int, int, int]:
    """What a change would leave: state, version, timeline entries, outbox rows, used links."""
    now = world.app.incidents.get(world.principals["admin"], incident.number)
    with world.app.db.read() as s:
        timeline = s.scalar(select(func.count()).where(TimelineEntry.incident_id == incident.id))
        outbox = s.scalar(select(func.count()).select_from(OutboxMessage))
        used = s.scalar(select(func.count()).select_from(ActionLinkUse))
    return now.state.value, now.version, int(timeline or 0), int(outbox or 0), int(used or 0)


def test_links_for_answers_the_view_and_one_link_per_action(world: World) -> None:
    incident = open_incident(world)
    answer = links(world, incident, "agent")
    assert set(answer) == {"view", "acknowledge", "resolve"}
    assert answer["view"] == f"{BASE}/incidents/{incident.number}"
    again = links(world, incident, "agent")
    # every message gets links of its own
    assert again["acknowledge"] != answer["acknowledge"]
    assert answer["acknowledge"] != answer["resolve"]


def test_get_shows_the_incident_and_changes_nothing(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    before = footprint(world, incident)
    for _ in range(2):
        r = world.client.get(url)
        assert r.status_code == 200, r.text
        assert f"Acknowledge {incident.number}" in r.text
        assert "Checkout is down" in r.text
        for shown in ("P1", "Assigned", "acme-web", "ops", "agent@example.com"):
            assert shown in r.text
        assert r.headers["cache-control"] == "no-store"
    assert footprint(world, incident) == before


def test_post_acknowledges_once_as_the_links_user(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    confirm = confirm_of(world.client.get(url))

    r = world.client.post(url, data={"confirm": confirm})
    assert r.status_code == 200, r.text
    assert f"{incident.number} is acknowledged" in r.text
    after = world.app.incidents.get(world.principals["admin"], incident.number)
    assert after.state.value == "in_progress"
    assert after.assignee == "agent@example.com"
    assert after.acknowledged_at == world.app.clock.now()
    last = world.app.incidents.timeline(world.principals["admin"], incident.number).items[-1]
    assert last.kind == "acknowledge"
    assert last.actor == "agent@example.com"
    assert last.message == "Acknowledged from a notification link"

    world.app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    before = footprint(world, incident)
    again = world.client.post(url, data={"confirm": confirm})
    assert again.status_code == 410
    assert "This link was already used on 2026-03-02 09:00 UTC." in again.text
    assert world.client.get(url).status_code == 410
    assert footprint(world, incident) == before


def test_resolve_link_resolves_with_a_default_code(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "acme_agent")["resolve"])
    page = world.client.get(url)
    assert f"Resolve {incident.number}" in page.text
    r = world.client.post(url, data={"confirm": confirm_of(page)})
    assert r.status_code == 200, r.text
    after = world.app.incidents.get(world.principals["admin"], incident.number)
    assert after.state.value == "resolved"
    assert after.resolution_code is not None
    assert after.resolution_code.value == "solved_permanently"
    assert after.resolution_notes == "Resolved from a notification"
    with world.app.db.read() as s:
        (use,) = s.scalars(select(ActionLinkUse)).all()
    assert (use.action, use.user_id, use.delivery_id) == (
        "resolve",
        world.principals["acme_agent"].user_id,
        "d-0001",
    )


def test_a_link_expires_after_its_lifetime(world: World, clock: FrozenClock) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    confirm = confirm_of(world.client.get(url))
    clock.advance(hours=23, minutes=59)
    assert world.client.get(url).status_code == 200
    clock.advance(minutes=1)
    before = footprint(world, incident)
    r = world.client.get(url)
    assert r.status_code == 410
    assert "This link expired on 2026-03-03 09:00 UTC." in r.text
    assert world.client.post(url, data={"confirm": confirm}).status_code == 410
    assert footprint(world, incident) == before


def test_a_tampered_link_is_not_found(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    token = url.removeprefix("/act/")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (f"/act/{flipped}", f"/act/{token[:-6]}", "/act/not-a-token", f"/act/{'x' * 2000}"):
        r = world.client.get(bad)
        assert r.status_code == 404, bad
        assert "This link is not valid" in r.text
        assert world.client.post(bad, data={"confirm": "0" * 32}).status_code == 404


def test_a_post_without_the_pages_code_or_from_another_site_changes_nothing(
    world: World,
) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    confirm = confirm_of(world.client.get(url))
    before = footprint(world, incident)
    assert world.client.post(url, data={}).status_code == 403
    assert world.client.post(url, data={"confirm": "0" * 32}).status_code == 403
    foreign = world.client.post(
        url, data={"confirm": confirm}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert "came from another site" in foreign.text
    assert footprint(world, incident) == before
    assert world.client.post(url, data={"confirm": confirm}).status_code == 200


def test_who_may_not_work_the_incident_cannot_use_a_link(world: World) -> None:
    incident = open_incident(world)
    before = footprint(world, incident)
    for who, status in (("requester", 403), ("viewer", 403), ("globex_agent", 404)):
        url = path_of(links(world, incident, who)["acknowledge"])
        assert world.client.get(url).status_code == status, who
        confirm = world.app.action_links.confirm_code(url.removeprefix("/act/"))
        assert world.client.post(url, data={"confirm": confirm}).status_code == status, who
    assert footprint(world, incident) == before


def test_a_deactivated_user_is_refused(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    confirm = confirm_of(world.client.get(url))
    world.app.auth.patch_user(
        world.principals["admin"], "agent@example.com", UserPatch(active=False)
    )
    before = footprint(world, incident)
    for response in (world.client.get(url), world.client.post(url, data={"confirm": confirm})):
        assert response.status_code == 403
        assert "deactivated" in response.text
    assert footprint(world, incident) == before


def test_an_incident_already_acknowledged_shows_no_button(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    confirm = confirm_of(world.client.get(url))
    r = world.client.post(
        f"/api/v1/incidents/{incident.number}/actions/acknowledge", headers=world.h("manager")
    )
    assert r.status_code == 200, r.text
    page = world.client.get(url)
    assert page.status_code == 200
    assert f"{incident.number} was already acknowledged on 2026-03-02 09:00 UTC" in page.text
    assert 'action="/act/' not in page.text
    before = footprint(world, incident)
    refused = world.client.post(url, data={"confirm": confirm})
    assert refused.status_code == 409
    assert footprint(world, incident) == before  # and the link stays unused


def sign_in_agent(world: World) -> str:
    world.app.auth.patch_user(
        world.principals["admin"], "agent@example.com", UserPatch(password=PASSWORD)
    )
    r = world.client.post(
        "/login",
        data={"email": "agent@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    cookie = r.cookies.get(COOKIE)
    assert cookie
    world.client.cookies.clear()
    world.client.cookies.set(COOKIE, cookie)
    return cookie


def test_a_shared_channels_link_acts_as_whoever_signs_in(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, None)["acknowledge"])
    anonymous = world.client.get(url)
    assert anonymous.status_code == 200
    assert f"Sign in to acknowledge {incident.number}" in anonymous.text
    assert "/login?next=/act/" in anonymous.text
    assert 'action="/act/' not in anonymous.text
    confirm = world.app.action_links.confirm_code(url.removeprefix("/act/"))
    before = footprint(world, incident)
    assert world.client.post(url, data={"confirm": confirm}).status_code == 401

    sign_in_agent(world)
    page = world.client.get(url)
    assert f"Acknowledge {incident.number}" in page.text
    assert confirm_of(page) == confirm
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert csrf
    # the session alone does not do: a form from another site would carry it too
    assert world.client.post(url, data={"confirm": confirm}).status_code == 401
    assert footprint(world, incident) == before

    r = world.client.post(url, data={"confirm": confirm, "csrf_token": csrf[1]})
    assert r.status_code == 200, r.text
    after = world.app.incidents.get(world.principals["admin"], incident.number)
    assert after.state.value == "in_progress"
    assert after.assignee == "agent@example.com"
    world.client.cookies.clear()


def test_sign_in_leads_back_to_the_link(world: World) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, None)["resolve"])
    world.app.auth.patch_user(
        world.principals["admin"], "agent@example.com", UserPatch(password=PASSWORD)
    )
    r = world.client.post(
        f"/login?next={url}",
        data={"email": "agent@example.com", "password": PASSWORD, "next": url},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == url
    world.client.cookies.clear()


def test_the_request_log_does_not_hold_the_token(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    incident = open_incident(world)
    url = path_of(links(world, incident, "agent")["acknowledge"])
    with caplog.at_level(logging.INFO, logger="tocsin.http"):
        confirm = confirm_of(world.client.get(url))
        assert world.client.post(url, data={"confirm": confirm}).status_code == 200
    logged = [rec.__dict__["path"] for rec in caplog.records if rec.name == "tocsin.http"]
    assert logged == ["/act/{token}", "/act/{token}"]
