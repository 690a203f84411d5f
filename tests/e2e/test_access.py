"""Who reaches which page: a requester never sees the staff console, a stranger signs in.

Some of these pages are built on other branches; until they exist they answer 404. A page
that does not exist yet is only required to show no staff content; once it exists (an
agent gets something other than 404) the full rule applies.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page

from tocsin.incidents.schemas import IncidentIn

from .conftest import AGENT, REQUESTER, World, sign_in

pytestmark = pytest.mark.e2e

STAFF_PAGES = [
    "/",
    "/dashboard",
    "/alerts",
    "/oncall",
    "/services",
    "/integrations",
    "/sla",
    "/admin/users",
    "/incidents/{number}",
]
# Links only the staff navigation has: their presence means the staff console was drawn.
STAFF_NAV = ".mainnav a[href='/alerts'], .mainnav a[href='/dashboard'], a[href='/incidents/new']"
SECRET_TITLE = "Staff-only server room alarm"


def _staff_incident(world: World) -> str:
    """An incident of the requester's customer that is not theirs."""
    incident = world.app.incidents.create(
        world.admin, IncidentIn(title=SECRET_TITLE, customer="acme", team="ops")
    )
    return incident.number


def _existing(browser: Browser, server: str, paths: list[str]) -> set[str]:
    """The pages this build serves: an agent gets something other than 404."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    sign_in(page, AGENT)
    found = set()
    for path in paths:
        response = page.goto(path)
        if response is not None and response.status != 404:
            found.add(path)
    context.close()
    return found


def _shows_no_staff_content(page: Page) -> None:
    assert page.locator(STAFF_NAV).count() == 0, f"{page.url} shows the staff navigation"
    assert SECRET_TITLE not in page.content(), f"{page.url} shows a staff-only incident"


def test_a_requester_never_reaches_a_staff_page(
    world: World, browser: Browser, server: str, page: Page
) -> None:
    number = _staff_incident(world)
    paths = [p.format(number=number) for p in STAFF_PAGES]
    existing = _existing(browser, server, paths)
    # built on this branch: the rule is checked in full for these at least
    assert "/" in existing
    assert f"/incidents/{number}" in existing
    sign_in(page, REQUESTER)
    for path in paths:
        response = page.goto(path)
        assert response is not None
        landed = urlparse(page.url).path
        _shows_no_staff_content(page)
        if path in existing:
            assert landed.startswith("/portal"), f"{path} left the requester on {landed}"
        else:
            assert landed.startswith("/portal") or response.status != 200, path
    # The staff-only incident: the portal knows no such request of hers.
    page.goto(f"/incidents/{number}")
    assert re.search(rf"/portal/incidents/{number}$", page.url)
    assert "There is no incident" in page.content()


def test_a_requester_gets_no_live_events(world: World, page: Page) -> None:
    sign_in(page, REQUESTER)
    # Not followed: a stream opened to a requester would never end, so it must not start.
    response = page.request.get("/events", max_redirects=0, timeout=5_000)
    location = response.headers.get("location", "")
    assert response.status in (401, 403, 404) or (
        response.status in (302, 303, 307) and location.startswith(("/portal", "/login"))
    ), f"/events answered a requester {response.status}"
    assert "text/event-stream" not in response.headers.get("content-type", "")


def test_signed_out_visitors_are_sent_to_sign_in(
    world: World, browser: Browser, server: str, page: Page
) -> None:
    number = _staff_incident(world)
    paths = [p.format(number=number) for p in STAFF_PAGES] + ["/portal", "/portal/new"]
    existing = _existing(browser, server, paths)
    for path in paths:
        response = page.goto(path)
        assert response is not None
        _shows_no_staff_content(page)
        if path in existing:
            assert urlparse(page.url).path == "/login", f"{path} let a stranger in"
        else:
            assert response.status == 404, path
    response = page.request.get("/events", max_redirects=0, timeout=5_000)
    assert response.status in (401, 403, 404) or response.headers.get("location", "").startswith(
        "/login"
    )
