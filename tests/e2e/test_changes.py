"""Changes in a real browser: an agent records a deploy on the changes page, and the
incident that follows on that service shows it under "Recent changes"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tocsin.incidents.schemas import IncidentIn

from .conftest import AGENT, World, sign_in

pytestmark = pytest.mark.e2e


def test_a_recorded_deploy_shows_on_the_next_incident(world: World, page: Page) -> None:
    sign_in(page, AGENT)
    page.goto("/changes")
    expect(page.get_by_role("heading", name=re.compile("Changes"))).to_be_visible()
    page.fill("#summary", "Deployed shop 4.2")
    page.select_option("#service", "acme-web")
    page.fill("#source", "jenkins")
    page.fill("#link", "https://ci.example/job/42")
    page.click("button:has-text('Record change')")
    expect(page.locator(".alert.ok[role=status]")).to_contain_text("Change recorded.")
    expect(page.locator("table.changes")).to_contain_text("Deployed shop 4.2")

    incident = world.app.incidents.create(
        world.admin, IncidentIn(title="Checkout fails", service="acme-web", customer="acme")
    )
    page.goto(f"/incidents/{incident.number}")
    section = page.locator("#recent-changes")
    expect(section.get_by_role("heading", name=re.compile("Recent changes"))).to_be_visible()
    link = section.get_by_role("link", name="Deployed shop 4.2")
    expect(link).to_have_attribute("href", "https://ci.example/job/42")
