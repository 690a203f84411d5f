"""A post-incident review in a real browser: resolve a P1, start its review, write a
section, add an action item and mark it done, download the Markdown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tocsin.core.clock import FrozenClock
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn

from .conftest import AGENT, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e


def test_review_of_a_resolved_p1(world: World, page: Page, phone: Page) -> None:
    incident = world.app.incidents.create(
        world.admin, IncidentIn(title="Checkout down", customer="acme", impact=1, urgency=1)
    )
    clock = world.app.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(minutes=7)
    world.app.actions.perform(world.agent, incident.number, Action.ACKNOWLEDGE, ActionIn())
    clock.advance(minutes=40)

    sign_in(page, AGENT)
    page.goto(f"/incidents/{incident.number}")
    panel = page.locator("#review")
    expect(panel).to_contain_text("required")
    expect(panel).to_contain_text("once the incident is resolved")
    page.click("#actions a:has-text('Resolve')")
    page.select_option("#resolution-code", "solved_permanently")
    page.fill("#act-resolve textarea[name=resolution_notes]", "Rolled back release 42.")
    page.click("#act-resolve button:has-text('Resolve incident')")
    expect(page.locator(".alert.ok")).to_have_text("Resolved.")

    panel.locator("button:has-text('Start review')").click()
    expect(page).to_have_url(re.compile(r"/reviews/\d+\?ok=review_started$"))
    expect(page.locator("#tta")).to_have_text("7 min 00 s")
    expect(page.locator("#ttr")).to_have_text("47 min 00 s")
    events = page.locator(".review-timeline tbody tr td:nth-child(2)")
    expect(events).to_have_text(["Opened", "Acknowledged", "Resolved"])

    page.fill("#sec-root_cause", "Release 42 broke the payment client.")
    page.click("#sections button:has-text('Save and send for review')")
    expect(page.locator(".alert.ok")).to_have_text("Review saved.")
    expect(page.locator("h1 .tag")).to_have_text("In review")
    expect(page.locator("#sec-root_cause")).to_have_value("Release 42 broke the payment client.")

    page.fill("#item-title", "Canary every release")
    page.select_option("#item-owner", AGENT)
    page.fill("#item-due", "2026-03-20")
    page.click("#action-items button:has-text('Add action item')")
    expect(page.locator(".alert.ok")).to_have_text("Action item added.")
    item = page.locator("li.action-item")
    expect(item).to_contain_text("Canary every release")
    expect(item).to_contain_text(f"{AGENT} · due 2026-03-20")
    item.locator("button:has-text('Mark done')").click()
    expect(page.locator(".alert.ok")).to_have_text("Action item done.")
    expect(page.locator("li.action-item.done")).to_have_count(1)
    shoot(page, "review")

    with page.expect_download() as info:
        page.click("a:has-text('Download Markdown')")
    download = info.value
    assert download.suggested_filename == f"review-{incident.number}.md"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith(f"# Post-incident review: {incident.number} Checkout down")
    assert "## Root cause\n\nRelease 42 broke the payment client." in text
    assert f"- [x] Canary every release (owner {AGENT}, due 2026-03-20)" in text

    review_url = page.url
    page.click("nav a:has-text('Reviews')")
    expect(page.locator("#list tbody tr")).to_have_count(1)
    expect(page.locator("#missing")).to_contain_text("Every resolved incident")

    sign_in(phone, AGENT)
    for path in ("/reviews", review_url):
        phone.goto(path)
        assert_fits(phone)
