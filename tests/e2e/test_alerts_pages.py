"""Alerts, integrations and services in a real browser: an administrator connects a
PagerDuty sender, sends a test alert, and finds it in the alert stream; every page fits a
phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn

from .conftest import PASSWORD, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "boss@example.com"


@pytest.fixture
def boss(world: World) -> str:
    world.app.auth.create_user(
        world.admin,
        UserIn(email=ADMIN, name="Bo Boss", role=Role.ADMIN, password=PASSWORD, time_zone="UTC"),
    )
    return ADMIN


def test_admin_connects_pagerduty_and_sends_a_test_alert(
    world: World, boss: str, page: Page, context: BrowserContext
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, boss)
    page.goto("/integrations")
    expect(page.get_by_role("heading", name=re.compile("Integrations"))).to_be_visible()
    page.click("a.button:has-text('New integration')")
    expect(page).to_have_url(re.compile(r"/integrations/new$"))

    # A mistake first: the form comes back with the sentence and keeps the choices.
    page.select_option("#type", "pagerduty")
    page.select_option("#service", "acme-web")
    page.click("button:has-text('Create integration')")
    expect(page.locator(".field-error").first).to_have_text("This field is required.")
    expect(page.locator("#type")).to_have_value("pagerduty")
    expect(page.locator("#service")).to_have_value("acme-web")

    page.fill("#name", "Shop monitoring")
    page.click("button:has-text('Create integration')")
    expect(page.get_by_role("heading", name="Shop monitoring")).to_be_visible()
    expect(page.locator(".alert.ok[role=status]")).to_contain_text("shown only on this page")
    key = page.get_by_label("Routing key").input_value()
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    url_field = page.get_by_label("POST to")
    expect(url_field).to_have_value(re.compile(r"^https?://.+/v2/enqueue$"))
    copy = page.get_by_role("button", name="Copy POST to")
    copy.click()
    copy = page.locator(f"button[data-copy='{url_field.get_attribute('id')}']")
    expect(copy).to_have_text(re.compile("Copied"))
    assert page.evaluate("navigator.clipboard.readText()") == url_field.input_value()
    shoot(page, "integration")

    # The sender posts with the key it was given.
    sent = page.request.post(
        "/v2/enqueue",
        data={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "Checkout is down", "source": "shop-1", "severity": "error"},
        },
    )
    assert sent.status == 202, sent.text()

    page.select_option("#test-severity", "critical")
    page.click("button:has-text('Send a test alert')")
    expect(page).to_have_url(re.compile(r"/incidents/INC\d+\?ok=test_alert$"))
    expect(page.locator(".alert.ok[role=status]")).to_contain_text("Test alert sent")
    expect(page.locator("h1")).to_contain_text("Test alert from Tocsin (Shop monitoring)")
    expect(page.locator(".prio").first).to_have_text("P1")
    number = page.url.split("/incidents/")[1].split("?")[0]

    page.goto("/alerts")
    rows = page.locator("#alerts-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Test alert from Tocsin")
    expect(rows.first.get_by_role("link", name=number)).to_be_visible()
    expect(page.locator(".alert-tabs a", has_text="Triggered")).to_contain_text("2")
    page.select_option("#severity", "error")
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"severity=error"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Checkout is down")
    shoot(page, "alerts")

    rows.first.get_by_role("link", name="Checkout is down").click()
    expect(page.locator("h1")).to_have_text("Checkout is down")
    payload = page.locator("pre.payload[aria-label='Latest payload']")
    expect(payload).to_contain_text('"event_action": "trigger"')
    expect(payload).to_contain_text("[integration key removed]")
    stored = page.locator("pre.payload[aria-label='Labels and details']")
    expect(stored).to_contain_text('"labels"')
    shoot(page, "alert")

    page.goto("/integrations")
    card = page.locator(".integration-card", has_text="Shop monitoring")
    expect(card).to_contain_text("pagerduty")
    expect(card.get_by_role("link", name="2")).to_be_visible()
    shoot(page, "integrations")

    page.goto("/services")
    expect(page.locator("table.service-list")).to_contain_text("Acme website")
    shoot(page, "services")


def test_the_pages_fit_a_phone(world: World, boss: str, phone: Page) -> None:
    created = world.app.integrations.create(
        world.admin,
        IntegrationIn(
            type="alertmanager", name="Prometheus in the Frankfurt data centre", service="acme-web"
        ),
    )
    response = phone.request.post(
        "/api/v1/ingest/generic",
        headers={"Authorization": f"Bearer {created.key}"},
        data={"summary": "x"},
    )
    assert response.status == 400  # an alertmanager key on the generic route: refused
    sign_in(phone, boss)
    phone.goto(f"/integrations/{created.id}")
    phone.click("button:has-text('Send a test alert')")
    expect(phone).to_have_url(re.compile(r"/incidents/INC\d+"))
    phone.goto("/alerts/1")  # the test alert's payload: the sample it was built from
    expect(phone.locator("pre.payload").first).to_contain_text('"source": "tocsin-console"')
    expect(phone.get_by_role("link", name="Download")).to_be_visible()
    for path, name in (
        ("/alerts", "alerts-phone"),
        ("/alerts/1", "alert-phone"),
        ("/integrations", "integrations-phone"),
        (f"/integrations/{created.id}", "integration-phone"),
        ("/integrations/new", "integration-new-phone"),
        ("/services", "services-phone"),
        ("/services/acme-web?customer=acme", "service-phone"),
        ("/services/new", "service-new-phone"),
    ):
        phone.goto(path)
        expect(phone.locator("h1")).to_be_visible()
        shoot(phone, name)
        assert_fits(phone)
