"""The requester portal in a real browser, and CSRF protection on the console's forms."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tocsin.incidents.lifecycle import Action, ResolutionCode
from tocsin.incidents.schemas import ActionIn, IncidentIn
from tocsin.sla.schemas import SlaPolicyIn

from .conftest import AGENT, REQUESTER, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e


def test_requester_reports_and_talks_with_the_agent(
    world: World, page: Page, browser: Browser, server: str, phone: Page
) -> None:
    # Someone else's incident in the same customer stays out of Alice's list.
    world.app.incidents.create(world.admin, IncidentIn(title="Server room alarm", customer="acme"))
    sign_in(page, REQUESTER)
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.locator("header")).to_contain_text("Acme Corp support")
    expect(page.locator(".mainnav")).to_have_count(0)  # no staff navigation
    expect(page.locator("#requests")).to_contain_text("Nothing here.")

    page.click("header a:has-text('Report an issue')")
    expect(page).to_have_url(re.compile(r"/portal/new$"))
    page.click("button:has-text('Send report')")  # nothing filled in
    expect(page.locator(".field-error")).to_contain_text("This field is required.")
    page.fill("#description", "Black screen after the update.")
    page.fill("#title", "Laptop will not boot")
    page.select_option("#urgency", "1")
    page.select_option("#service", "acme-web")
    page.select_option("#category", "Hardware")
    page.click("button:has-text('Send report')")
    expect(page).to_have_url(re.compile(r"/portal/incidents/INC0001002\?ok=reported$"))
    expect(page.locator(".alert.ok")).to_contain_text("your report is recorded")
    expect(page.locator("h1")).to_contain_text("Laptop will not boot")
    expect(page.locator(".inc-head")).to_contain_text("Assigned to the service desk")

    page.click("header a:has-text('My requests')")
    rows = page.locator("#requests li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Laptop will not boot")
    expect(rows.first).to_contain_text("last update 2026-03-02 09:00 UTC")
    expect(rows.first.locator(".state")).to_have_text("Assigned")
    shoot(page, "portal")

    # The agent answers in the console: a work note for colleagues, a comment for Alice.
    staff = browser.new_context(base_url=server)
    console = staff.new_page()
    sign_in(console, AGENT)
    console.goto("/incidents/INC0001002")
    console.fill("#note-body", "Suspect the SSD firmware.")
    console.click("#note button:has-text('Add note')")
    expect(console.locator(".alert.ok")).to_have_text("Work note added.")
    console.fill("#note-body", "We will swap your laptop tomorrow.")
    console.check("input[name=kind][value=comment]")
    console.click("#note button:has-text('Add note')")
    expect(console.locator(".alert.ok")).to_have_text("Comment added.")
    console.click("#actions a:has-text('Assign')")
    console.select_option("#assign-assignee", AGENT)
    console.click("#act-assign button:has-text('Save assignment')")
    expect(console.locator(".alert.ok")).to_have_text("Assignment saved.")

    page.goto("/portal/incidents/INC0001002")
    comments = page.locator("#comments")
    expect(comments.locator(".entry")).to_have_count(1)
    expect(comments).to_contain_text("We will swap your laptop tomorrow.")
    expect(comments.locator(".actor")).to_have_text("Service desk")
    body = page.locator("body")
    expect(body).not_to_contain_text("SSD firmware")
    expect(body).not_to_contain_text(AGENT)  # no staff addresses, no team
    expect(body).not_to_contain_text("Operations")
    expect(page.locator("#reopen")).to_have_count(0)

    page.fill("#body", "Thanks, I will be in at nine.")
    page.click("button:has-text('Send comment')")
    expect(page.locator(".alert.ok")).to_have_text("Comment added.")
    expect(comments.locator(".entry")).to_have_count(2)
    expect(comments.locator(".entry").last).to_contain_text("Thanks, I will be in at nine.")
    expect(comments.locator(".entry").last.locator(".actor")).to_have_text("You")
    shoot(page, "portal-ticket")

    console.reload()
    expect(console.locator("#timeline .entry").last).to_contain_text(
        "Thanks, I will be in at nine."
    )
    staff.close()

    sign_in(phone, REQUESTER)
    for path, name in (
        ("/portal", "portal-phone"),
        ("/portal/incidents/INC0001002", "portal-ticket-phone"),
        ("/portal/new", "portal-report-phone"),
    ):
        phone.goto(path)
        assert_fits(phone)
        shoot(phone, name)

    world.app.actions.perform(
        world.agent,
        "INC0001002",
        Action.RESOLVE,
        ActionIn(
            resolution_code=ResolutionCode.SOLVED_PERMANENTLY, resolution_notes="Laptop swapped."
        ),
    )
    page.reload()
    expect(page.locator(".inc-head .state")).to_have_text("Resolved")
    expect(page.locator("body")).to_contain_text("Laptop swapped.")
    page.click("#reopen button:has-text('Reopen')")  # no reason given
    expect(page.locator("#reopen .field-error")).to_contain_text("reopen needs a reason")
    page.fill("#reason", "The new one does not boot either.")
    page.click("#reopen button:has-text('Reopen')")
    expect(page.locator(".alert.ok")).to_have_text("Reopened.")
    expect(page.locator(".inc-head .state")).to_have_text("In progress")


def test_the_portal_says_when_the_desk_aims_to_respond(world: World, page: Page) -> None:
    world.app.sla.policies.create(
        world.admin,
        SlaPolicyIn(
            name="Office", slug="p5-office", priority=5, response_minutes=60, resolution_minutes=960
        ),
    )
    incident = world.app.incidents.create(
        world.requester, IncidentIn(title="Mouse is broken", urgency=3)
    )
    world.app.paging.dispatch()
    sign_in(page, REQUESTER)
    page.goto(f"/portal/incidents/{incident.number}")
    expect(page.locator(".aim")).to_have_text("We aim to respond by 2026-03-02 10:00 UTC.")
    expect(page.locator("body")).not_to_contain_text("p5-office")  # the policy's slug is internal


def test_a_form_post_without_the_csrf_token_is_refused(
    world: World, page: Page, context: BrowserContext
) -> None:
    sign_in(page, AGENT)
    expect(page).to_have_url(re.compile(r"/$"))
    before = world.app.incidents.count()

    # A forged form (another site's page, or a stale one) carries no token.
    page.goto("/incidents/new")
    page.locator("form[action='/incidents'] input[name=csrf_token]").evaluate(
        "input => input.remove()"
    )
    page.fill("#title", "Forged incident")
    with page.expect_response(lambda r: r.url.endswith("/incidents")) as answer:
        page.click("button:has-text('Open incident')")
    assert answer.value.status == 403
    expect(page.locator("h1")).to_contain_text("Form refused")
    expect(page.locator(".alert.error")).to_contain_text("CSRF check failed")

    # Same with a wrong token, and for sign-out (the session must survive).
    response = context.request.post(
        "/incidents", form={"csrf_token": "0" * 64, "title": "Forged again"}
    )
    assert response.status == 403
    response = context.request.post("/logout", form={})
    assert response.status == 403
    assert world.app.incidents.count() == before
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/$"))

    # Without a session at all, a form POST only leads to the sign-in page.
    context.clear_cookies()
    response = context.request.post("/incidents", form={"title": "Anonymous"}, max_redirects=0)
    assert response.status == 303
    assert response.headers["location"] == "/login"
    assert world.app.incidents.count() == before
