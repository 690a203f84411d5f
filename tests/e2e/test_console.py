"""The staff console in a real browser: sign in, work the queue, walk an incident through."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.catalog.schemas import TeamPatch
from tocsin.incidents.schemas import IncidentIn
from tocsin.sla.schemas import SlaPolicyIn

from .conftest import AGENT, PASSWORD, World, assert_fits, shoot, sign_in

SECOND_AGENT = "bo@example.com"

pytestmark = pytest.mark.e2e


def _seed_queue(world: World) -> None:
    for title, impact, urgency in [
        ("VPN drops every 10 minutes", 2, 1),
        ("Printer on floor 3 jams", 3, 3),
        ("Payroll export is slow", 2, 2),
    ]:
        world.app.incidents.create(
            world.admin,
            IncidentIn(title=title, impact=impact, urgency=urgency, customer="acme", team="ops"),
        )


def _second_agent(world: World) -> None:
    world.app.auth.create_user(
        world.admin,
        UserIn(email=SECOND_AGENT, name="Bo Agent", role=Role.AGENT, password=PASSWORD),
    )
    world.app.catalog.patch_team(world.admin, "ops", TeamPatch(members=[AGENT, SECOND_AGENT]))


def _change(entry: Locator, field: str) -> Locator:
    """The cells of one before -> after row of a timeline entry."""
    return entry.locator("tr", has=entry.page.locator("th", has_text=field)).locator("th, td")


def test_agent_works_an_incident_from_queue_to_resolution(world: World, page: Page) -> None:
    _seed_queue(world)
    _second_agent(world)
    world.app.sla.policies.create(
        world.admin,
        SlaPolicyIn(
            name="P2 desk", slug="p2", priority=2, response_minutes=30, resolution_minutes=480
        ),
    )
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, AGENT)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name=re.compile("Incidents"))).to_be_visible()
    queue = page.locator("table.list tbody")
    expect(queue.locator("tr")).to_have_count(3)
    vpn = queue.locator("tr", has_text="VPN drops every 10 minutes")
    expect(vpn.locator(".prio")).to_have_text("P2")
    # The frozen clock says 09:00 UTC; the agent lives in Berlin (the header says so).
    expect(vpn).to_contain_text("2026-03-02 10:00")
    expect(page.locator("th", has_text="Opened")).to_have_attribute(
        "title", "Times in Europe/Berlin"
    )

    page.click("a.button:has-text('New incident')")
    expect(page).to_have_url(re.compile(r"/incidents/new$"))
    page.fill("#title", "Checkout fails with a 502")
    page.fill("#description", "Since 08:50 every checkout answers 502.\nShop is down.")
    page.select_option("#impact", "1")
    page.select_option("#urgency", "2")
    page.select_option("#service", "acme-web")
    page.select_option("#category", "Software")
    page.select_option("#subcategory", "Application")
    page.select_option("#team", "ops")
    page.click("button:has-text('Open incident')")

    expect(page).to_have_url(re.compile(r"/incidents/INC0001004\?ok=created$"))
    expect(page.locator(".alert.ok")).to_have_text("Incident opened.")
    expect(page.locator("h1")).to_contain_text("Checkout fails with a 502")
    expect(page.locator(".inc-head .prio")).to_have_text("P2")
    expect(page.locator(".inc-head .state")).to_have_text("Assigned")
    expect(page.locator(".fields")).to_contain_text("acme-web")
    # The engine starts the SLA clocks from the incident's first event.
    world.app.paging.dispatch()
    page.reload()
    response = page.locator(".sla-timer", has_text="Response")
    # Server-rendered "due <time>", or live.js's countdown once it ran.
    expect(response.locator("time[data-countdown]")).to_have_text(
        re.compile(r"due 2026-03-02 10:30 CET|\d+ (min|h)\w* (left|overdue)")
    )
    expect(page.locator(".sla-timer", has_text="Resolution")).to_be_visible()

    # Only what the state allows, named after the action; the next step stands out.
    bar = page.locator("#actions .action-bar")
    expect(bar.locator("button, a")).to_have_text(
        ["Acknowledge", "Assign", "Start", "Hold", "Resolve", "Cancel", "Assign to me"]
    )
    expect(bar.locator(".primary")).to_have_text("Acknowledge")
    page.click("#actions button:has-text('Acknowledge')")
    expect(page.locator(".alert.ok")).to_contain_text("Acknowledged")
    expect(page.locator(".inc-head .state")).to_have_text("In progress")
    expect(page.locator(".inc-head .owner")).to_contain_text(AGENT)
    expect(bar.locator(".primary")).to_have_text("Resolve")
    world.app.paging.dispatch()  # the engine stops the response clock
    page.reload()
    expect(response).to_have_class(re.compile("sla-met"))
    expect(response).to_contain_text("met 2026-03-02 10:00 CET")

    page.click("#actions a:has-text('Assign')")
    panel = page.locator("#act-assign")
    expect(panel).to_be_visible()
    page.select_option("#assign-team", "ops")
    page.select_option("#assign-assignee", SECOND_AGENT)
    panel.locator("button:has-text('Save assignment')").click()
    expect(page.locator(".alert.ok")).to_have_text("Assignment saved.")
    expect(page.locator(".inc-head .owner")).to_contain_text(SECOND_AGENT)

    page.fill("#note-body", "Payment worker pool is exhausted; restarting.")
    expect(page.locator("input[name=kind][value=work_note]")).to_be_checked()
    page.click("#note button:has-text('Add note')")
    expect(page.locator(".alert.ok")).to_have_text("Work note added.")

    page.click("#actions a:has-text('Resolve')")
    page.select_option("#resolution-code", "solved_permanently")
    page.fill("#act-resolve textarea[name=resolution_notes]", "Restarted the payment workers.")
    page.click("#act-resolve button:has-text('Resolve incident')")
    expect(page.locator(".alert.ok")).to_have_text("Resolved.")
    expect(page.locator(".inc-head .state")).to_have_text("Resolved")
    expect(bar.locator("button, a")).to_have_text(["Close", "Reopen"])

    entries = page.locator("#timeline .entry")
    expect(entries.locator(".what")).to_have_text(
        ["opened the incident", "acknowledged", "assigned", "added a work note", "resolved"]
    )
    expect(entries.locator(".actor")).to_have_text([AGENT] * 5)
    acknowledged = entries.nth(1)
    expect(_change(acknowledged, "State")).to_have_text(["State", "Assigned", "→", "In progress"])
    assigned = entries.nth(2)
    expect(_change(assigned, "Assignee")).to_have_text(["Assignee", AGENT, "→", SECOND_AGENT])
    note = entries.nth(3)
    expect(note).to_contain_text("Payment worker pool is exhausted; restarting.")
    expect(note.locator(".tag.internal")).to_have_text("work note")
    resolved = entries.nth(4)
    expect(_change(resolved, "State")).to_have_text(["State", "In progress", "→", "Resolved"])
    expect(_change(resolved, "Resolution code")).to_have_text(
        ["Resolution code", "—", "→", "Solved permanently"]
    )
    expect(resolved.locator("time")).to_have_text("2026-03-02 10:00 CET")
    shoot(page, "incident")

    page.goto("/?state=all")
    expect(page.locator("table.list tbody tr")).to_have_count(4)
    row = page.locator("table.list tbody tr", has_text="Checkout fails with a 502")
    expect(row.locator(".state")).to_have_text("Resolved")

    # Filters: open incidents only, then by priority.
    page.goto("/")
    expect(page.locator("table.list tbody tr")).to_have_count(3)
    page.select_option("select[name=priority]", "2")
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"priority=2"))
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody tr")).to_contain_text("VPN drops every 10 minutes")


def test_two_incidents_are_linked_in_the_browser(world: World, page: Page, phone: Page) -> None:
    copy = world.app.incidents.create(
        world.admin, IncidentIn(title="Shop shows 502 (second report)", customer="acme")
    )
    original = world.app.incidents.create(
        world.admin, IncidentIn(title="Checkout fails with a 502", customer="acme", team="ops")
    )
    sign_in(page, AGENT)
    page.goto(f"/incidents/{copy.number}")
    expect(page.locator("#links")).to_contain_text("No linked incidents.")

    page.fill("#link-incident", "INC0009999")
    page.click("#links button:has-text('Link an incident')")
    expect(page.locator("#links .field-error")).to_contain_text("There is no incident")
    expect(page.locator("#link-incident")).to_have_value("INC0009999")

    page.select_option("#link-kind", "duplicate_of")
    page.fill("#link-incident", original.number)
    page.click("#links button:has-text('Link an incident')")
    expect(page.locator(".alert.ok")).to_have_text("Incident linked.")
    row = page.locator("#links tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(
        ["duplicate of", original.number, "Checkout fails with a 502", "Assigned", "Unlink"]
    )
    expect(page.locator("#timeline .entry").last).to_contain_text(
        f"Linked: duplicate of {original.number}."
    )

    page.click(f"#links a:has-text('{original.number}')")
    expect(page).to_have_url(re.compile(rf"/incidents/{original.number}$"))
    back = page.locator("#links tbody tr")
    expect(back.locator("td")).to_have_text(
        ["duplicated by", copy.number, "Shop shows 502 (second report)", "New", "Unlink"]
    )
    expect(page.locator("#timeline .entry").last).to_contain_text(
        f"Linked: duplicated by {copy.number}."
    )

    sign_in(phone, AGENT)
    phone.goto(f"/incidents/{original.number}")
    expect(phone.locator("#links tbody tr")).to_have_count(1)
    assert_fits(phone)
    shoot(phone, "incident-phone")

    page.click("#links button:has-text('Unlink')")
    expect(page.locator(".alert.ok")).to_have_text("Link removed.")
    expect(page.locator("#links")).to_contain_text("No linked incidents.")
    page.goto(f"/incidents/{copy.number}")
    expect(page.locator("#links")).to_contain_text("No linked incidents.")


def test_a_stale_form_is_refused_with_a_clear_message(
    world: World, context: BrowserContext
) -> None:
    incident = world.app.incidents.create(
        world.admin, IncidentIn(title="Disk almost full", customer="acme", team="ops")
    )
    first = context.new_page()
    # This page hears no live updates (as when the connection dropped), so its form goes
    # stale when the other page acknowledges.
    first.route("**/events", lambda route: route.abort())
    sign_in(first, AGENT)
    first.goto(f"/incidents/{incident.number}")
    second = context.new_page()
    second.goto(f"/incidents/{incident.number}")
    second.click("#actions button:has-text('Acknowledge')")
    expect(second.locator(".inc-head .state")).to_have_text("In progress")

    first.click("#actions a:has-text('Hold')")
    first.select_option("#hold-reason", "awaiting_vendor")
    first.click("#act-hold button:has-text('Put on hold')")
    expect(first.locator(".alert.error")).to_contain_text("Someone else changed this incident")
    expect(first.locator(".inc-head .state")).to_have_text("In progress")
    assert world.app.incidents.get(world.admin, incident.number).state == "in_progress"


def test_an_invalid_transition_shows_the_reason(world: World, page: Page) -> None:
    incident = world.app.incidents.create(
        world.admin, IncidentIn(title="Close me too early", customer="acme")
    )
    sign_in(page, AGENT)
    page.goto(f"/incidents/{incident.number}")
    expect(page.locator("#actions")).not_to_contain_text("Close")
    # A form posted from an older page that still offered "close":
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"/incidents/{incident.number}/actions/close", form={"csrf_token": token or ""}
    )
    assert response.status == 409
    assert "Cannot close an incident that is new" in response.text()


def test_wrong_password_shows_an_error_and_no_session(
    world: World, page: Page, context: BrowserContext
) -> None:
    page.goto("/login")
    page.fill("input[name=email]", AGENT)
    page.fill("input[name=password]", "not the password")
    with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
        page.click("button:has-text('Sign in')")
    assert answer.value.status == 401
    expect(page.locator(".alert.error")).to_have_text(
        "The e-mail address or password is not right."
    )
    expect(page.locator("input[name=email]")).to_have_value(AGENT)
    expect(page.locator("input[name=password]")).to_have_value("")
    assert not [c for c in context.cookies() if c["name"] == "tocsin_session"]
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_repeated_wrong_passwords_say_when_to_try_again(world: World, page: Page) -> None:
    page.goto("/login")
    for attempt in range(6):
        page.fill("input[name=email]", AGENT)
        # The right password, last: refused unchecked while the account is blocked.
        page.fill("input[name=password]", PASSWORD if attempt == 5 else "not the password")
        with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
            page.click("button:has-text('Sign in')")
    assert answer.value.status == 429
    assert answer.value.headers["retry-after"] == "60"
    expect(page.locator(".alert.error")).to_have_text(
        "Too many failed sign-ins with this e-mail address or from your network; "
        "try again in 1 minute."
    )


def test_sign_in_keeps_a_local_next_and_ignores_a_foreign_one(world: World, page: Page) -> None:
    incident = world.app.incidents.create(
        world.admin, IncidentIn(title="Follow me", customer="acme")
    )
    page.goto(f"/incidents/{incident.number}")
    expect(page).to_have_url(re.compile(rf"/login\?next=/incidents/{incident.number}$"))
    sign_in_here(page)
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.number}$"))
    page.click("button:has-text('Sign out')")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/login?next=//evil.example/phish")
    sign_in_here(page)
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/$"))


def sign_in_here(page: Page) -> None:
    page.fill("input[name=email]", AGENT)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button:has-text('Sign in')")


def test_queue_pages_with_a_cursor_and_searches(world: World, page: Page) -> None:
    for n in range(53):
        world.app.incidents.create(
            world.admin, IncidentIn(title=f"Disk alert {n:02d}", customer="acme", team="ops")
        )
    sign_in(page, AGENT)
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".count")).to_have_text("53")
    expect(rows.first).to_contain_text("Disk alert 52")  # newest first
    page.click("a:has-text('Next page')")
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(rows).to_have_count(3)
    expect(rows.last).to_contain_text("Disk alert 00")
    page.click("a:has-text('First page')")
    expect(rows).to_have_count(50)

    page.fill("input[name=q]", "alert 07")
    page.click("button:has-text('Apply')")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("INC0001008")
    page.fill("input[name=q]", "")
    page.fill("input[name=assignee]", "me")
    page.click("button:has-text('Apply')")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No incidents match these filters.")
    page.goto("/?state=bogus")
    expect(page.locator(".alert.error")).to_contain_text("state 'bogus' is unknown")


def test_pages_need_a_session_and_show_text_as_text(world: World, page: Page) -> None:
    incident = world.app.incidents.create(
        world.admin,
        IncidentIn(title="<script>alert(1)</script> & <b>bold</b>", customer="acme"),
    )
    for path in ("/", "/incidents/new", "/portal", f"/incidents/{incident.number}"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login(\?next=.*)?$"))
    sign_in_here(page)
    page.goto(f"/incidents/{incident.number}")
    expect(page.locator("h1")).to_contain_text("<script>alert(1)</script> & <b>bold</b>")
    expect(page.locator("h1 b")).to_have_count(0)
