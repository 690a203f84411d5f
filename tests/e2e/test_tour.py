"""Every console page with the demo loaded, as a new user sees it: each answers, has its
heading, fits a phone, and is saved as a screenshot (the docs' tour uses them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from tocsin.bootstrap import Tocsin
from tocsin.core.clock import FrozenClock
from tocsin.demo.loader import run_demo
from tocsin.demo.people import DEMO_PASSWORD

from .conftest import PHONE, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "morgan.reyes@northwind.example"
REQUESTER = "alice.moreau@acme.example"

# (path, heading the page must show, screenshot name)
STAFF_PAGES = [
    ("/dashboard", "Dashboard", "dashboard"),
    ("/", "Incidents", "queue"),
    ("/alerts", "Alerts", "alerts"),
    ("/oncall", "On-call", "oncall"),
    ("/oncall/schedules/service-desk-oncall", "Service Desk on call", "schedule"),
    ("/escalation-policies", "Escalation policies", "escalation-policies"),
    (
        "/escalation-policies/service-desk-escalation",
        "Service Desk escalation",
        "escalation-policy",
    ),
    ("/services", "Services", "services"),
    ("/integrations", "Integrations", "integrations"),
    ("/sla", "SLA", "sla"),
    ("/admin/users", "Users", "admin-users"),
    ("/admin/teams", "Teams", "admin-teams"),
    ("/admin/customers", "Customers", "admin-customers"),
]


@pytest.fixture
def clock() -> FrozenClock:
    """The demo's history ends now, so the SLA countdowns the browser draws are current."""
    return FrozenClock(datetime.now(UTC).replace(second=0, microsecond=0))


@pytest.fixture
def demo(app: Tocsin) -> Tocsin:
    run_demo(app, incidents=120, seed=7)
    # What the engine does after a load: SLA clocks and escalations from the history.
    while app.paging.dispatch():
        pass
    app.paging.watch_sla()
    return app


def _first_open_incident(page: Page) -> str:
    page.goto("/?state=open")
    number = page.locator("table.list tbody tr a").first.inner_text()
    assert re.fullmatch(r"INC\d+", number)
    return number


def test_tour_of_every_staff_page(demo: Tocsin, page: Page, browser: Browser, server: str) -> None:
    sign_in(page, ADMIN, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    # An alert through a real integration, so the alerts pages have one to show.
    page.goto("/integrations")
    page.locator("h2 a[href^='/integrations/']").first.click()
    page.get_by_role("button", name="Send a test alert").click()
    expect(page).to_have_url(re.compile(r"/incidents/INC\d+"))
    expect(page.locator("#alerts")).to_contain_text("Test alert from Tocsin")
    pages = [*STAFF_PAGES]
    number = _first_open_incident(page)
    pages.append((f"/incidents/{number}", number, "incident"))
    for path, heading, name in pages:
        response = page.goto(path)
        assert response is not None, path
        assert response.status == 200, path
        expect(page.locator("h1").first).to_contain_text(heading)
        shoot(page, f"tour-{name}")

    phone_context = browser.new_context(base_url=server, viewport=PHONE, has_touch=True)
    phone = phone_context.new_page()
    sign_in(phone, ADMIN, DEMO_PASSWORD)
    for path, _heading, name in pages:
        phone.goto(path)
        assert_fits(phone)
        if name in {"dashboard", "queue", "incident"}:
            shoot(phone, f"tour-{name}-phone")
    phone_context.close()

    dark_context = browser.new_context(
        base_url=server, viewport={"width": 1360, "height": 900}, color_scheme="dark"
    )
    dark = dark_context.new_page()
    sign_in(dark, ADMIN, DEMO_PASSWORD)
    for path, name in (("/dashboard", "dashboard"), (f"/incidents/{number}", "incident")):
        dark.goto(path)
        shoot(dark, f"tour-{name}-dark")
    dark_context.close()


def test_tour_of_the_portal(demo: Tocsin, page: Page) -> None:
    sign_in(page, REQUESTER, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal"))
    page.goto("/portal/new")
    page.fill("#title", "The meeting room screen stays black")
    page.fill("#description", "Room 4.12 since this morning; the HDMI cable was swapped.")
    page.click("button:has-text('Send report')")
    expect(page.locator("h1")).to_contain_text("The meeting room screen stays black")
    shoot(page, "tour-portal-ticket")
    page.goto("/portal")
    expect(page.locator("main")).to_contain_text("The meeting room screen stays black")
    shoot(page, "tour-portal")
