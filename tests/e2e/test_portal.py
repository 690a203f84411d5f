"""The requester portal in a real browser, and CSRF protection on the console's forms."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tocsin.incidents.lifecycle import Action, ResolutionCode
from tocsin.incidents.schemas import ActionIn, IncidentIn, NoteIn

from .conftest import AGENT, REQUESTER, World, sign_in

pytestmark = pytest.mark.e2e


def test_requester_reports_a_problem_and_sees_only_public_comments(
    world: World, page: Page
) -> None:
    # Someone else's incident in the same customer stays out of Alice's list.
    world.app.incidents.create(world.admin, IncidentIn(title="Server room alarm", customer="acme"))
    sign_in(page, REQUESTER)
    expect(page).to_have_url(re.compile(r"/portal$"))
    expect(page.locator("table.list tbody")).to_contain_text("Nothing here.")

    page.fill("#title", "Laptop will not boot")
    page.fill("#description", "Black screen after the update.")
    page.select_option("#urgency", "1")
    page.select_option("#category", "Hardware")
    page.click("button:has-text('Send report')")
    expect(page).to_have_url(re.compile(r"/portal/incidents/INC0001002\?ok=reported$"))
    expect(page.locator(".alert.ok")).to_contain_text("your report is recorded")
    expect(page.locator("h1")).to_contain_text("Laptop will not boot")

    page.click("a:has-text('My requests') >> nth=0")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Laptop will not boot")
    expect(rows.first.locator(".state")).to_have_text("New")
    # Staff pages are not for requesters.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/portal$"))

    incidents, agent = world.app.incidents, world.agent
    incidents.add_note(agent, "INC0001002", NoteIn(body="Suspect the SSD firmware.", internal=True))
    incidents.add_note(
        agent, "INC0001002", NoteIn(body="We will swap your laptop tomorrow.", internal=False)
    )
    page.goto("/portal/incidents/INC0001002")
    comments = page.locator("#comments")
    expect(comments).to_contain_text("We will swap your laptop tomorrow.")
    expect(comments).to_contain_text(AGENT)
    expect(page.locator("body")).not_to_contain_text("SSD firmware")
    expect(page.locator("#reopen")).to_have_count(0)

    page.fill("#body", "Thanks, I will be in at nine.")
    page.click("button:has-text('Send comment')")
    expect(page.locator(".alert.ok")).to_have_text("Comment added.")
    expect(comments.locator(".entry")).to_have_count(2)
    expect(comments.locator(".entry").last).to_contain_text("Thanks, I will be in at nine.")

    world.app.actions.perform(
        agent,
        "INC0001002",
        Action.RESOLVE,
        ActionIn(
            resolution_code=ResolutionCode.SOLVED_PERMANENTLY, resolution_notes="Laptop swapped."
        ),
    )
    page.reload()
    expect(page.locator(".inc-head .state")).to_have_text("Resolved")
    expect(page.locator("body")).to_contain_text("Laptop swapped.")
    page.fill("#reason", "The new one does not boot either.")
    page.click("#reopen button:has-text('Reopen')")
    expect(page.locator(".alert.ok")).to_have_text("Reopened.")
    expect(page.locator(".inc-head .state")).to_have_text("In progress")


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
