"""Live updates in the browser: the queue shows a new incident and another person's
acknowledgement without a reload."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import make_user
from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.roles import Role
from tocsin.incidents.schemas import IncidentIn

from .conftest import AGENT, PASSWORD, World, shoot, sign_in

pytestmark = pytest.mark.e2e

WITHIN_MS = 2000  # the issue: new and changed incidents appear within 2 s
COLLEAGUE = "bob@example.com"


def trigger(server: str, key: str, summary: str) -> None:
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "db-1-disk",
        "payload": {"summary": summary, "source": "db-1", "severity": "critical"},
    }
    answer = httpx.post(f"{server}/v2/enqueue", json=event, timeout=10)
    assert answer.status_code == 202, answer.text


def test_the_queue_shows_new_and_changed_incidents_live(
    world: World, server: str, page: Page, browser: Browser
) -> None:
    pagerduty = world.app.integrations.create(
        world.admin, IntegrationIn(type="pagerduty", name="pd", service="acme-web")
    )
    make_user(world.app, world.admin, COLLEAGUE, Role.AGENT, password=PASSWORD)
    sign_in(page, AGENT)
    expect(page).to_have_url(re.compile(r"/$"))
    status = page.locator("#live-status")
    expect(status).to_have_text("Live")
    expect(status).to_have_attribute("role", "status")
    rows = page.locator("#queue-rows tr[data-key]")
    expect(rows).to_have_count(0)
    page.evaluate("window.notReloaded = true")

    trigger(server, pagerduty.key, "Disk full on db-1")

    row = rows.filter(has_text="Disk full on db-1")
    expect(row).to_have_count(1, timeout=WITHIN_MS)
    expect(row).to_have_class(re.compile(r"\blive-new\b"))
    expect(page.locator("#queue-count")).to_have_text("1")
    number = row.get_attribute("data-key")
    assert number is not None
    assert number.startswith("INC")
    state_before = row.locator("td.state-cell").inner_text()

    # a colleague acknowledges it in their own browser
    other = browser.new_context(base_url=page.url.rstrip("/"))
    try:
        colleague = other.new_page()
        sign_in(colleague, COLLEAGUE)
        colleague.goto(f"/incidents/{number}")
        colleague.get_by_role("button", name="Acknowledge").click()
        expect(colleague.locator("body")).to_contain_text("Acknowledged")
    finally:
        other.close()
    state_after = world.app.incidents.get(world.admin, number).state
    assert state_after != "new"

    expect(row.locator("td.state-cell")).not_to_have_text(state_before, timeout=WITHIN_MS)
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not reloaded
    shoot(page, "queue-live")


def test_focus_survives_a_refresh(world: World, server: str, page: Page) -> None:
    """Where a person was in a region is kept when the region is replaced."""
    sign_in(page, AGENT)
    world.app.incidents.create(world.admin, _incident("First"))
    page.reload()
    expect(page.locator("#live-status")).to_have_text("Live")
    first = page.locator("#queue-rows tr[data-key]").first
    key = first.get_attribute("data-key")
    first.locator("a").first.focus()
    world.app.incidents.create(world.admin, _incident("Second"))
    expect(page.locator("#queue-rows tr[data-key]")).to_have_count(2, timeout=WITHIN_MS)
    focused = page.evaluate("document.activeElement.closest('[data-key]').dataset.key")
    assert focused == key
    new_row = page.locator("#queue-rows tr[data-key]").filter(has_text="Second")
    expect(new_row).to_have_class(re.compile(r"\blive-new\b"))
    expect(page.locator(f"#queue-rows tr[data-key='{key}']")).not_to_have_class(
        re.compile(r"\blive-new\b")
    )
    assert world.app.live.subscriber_count == 1
    page.close()  # the browser drops the stream: the server lets go of its subscription
    deadline = time.monotonic() + 5
    while world.app.live.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert world.app.live.subscriber_count == 0


def signed_in_with_script(page: Page) -> None:
    sign_in(page, AGENT)
    expect(page).to_have_url(re.compile(r"/$"))
    page.wait_for_function("() => window.tocsinLive !== undefined")


def test_countdowns_say_how_long_is_left(world: World, page: Page) -> None:
    signed_in_with_script(page)
    describe = "m => window.tocsinLive.describeLeft(m * 60000)"
    assert page.evaluate(describe, 12.5) == "12 min left"
    assert page.evaluate(describe, 65) == "1 h 05 min left"
    assert page.evaluate(describe, -3.2) == "3 min overdue"
    assert page.evaluate(describe, 0.5) == "less than 1 min left"
    assert page.evaluate(describe, 60 * 24 * 2 + 90) == "2 d 01 h left"


def _incident(title: str) -> IncidentIn:
    return IncidentIn(title=title, customer="acme")


def test_the_indicator_fits_a_phone(world: World, phone: Page) -> None:
    sign_in(phone, AGENT)
    expect(phone.locator("#live-status")).to_have_text("Live")
    expect(phone.locator("#live-status")).to_be_visible()
    # the top bar (where the indicator sits) fits; the queue's own table is the queue's
    width = phone.evaluate("document.documentElement.clientWidth")
    assert phone.evaluate("document.querySelector('header.topbar').scrollWidth") <= width
    box = phone.locator("#live-status").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width
    shoot(phone, "queue-live-phone")


SWAP = """() => {
  const build = (html) => {
    const el = document.createElement('div');
    el.id = 'probe';
    el.setAttribute('data-live', 'incidents');
    el.innerHTML = html;
    return el;
  };
  const rows = (keys) => keys.map((k) =>
    `<div data-key="${k}"><input type="checkbox" name="pick" value="${k}">` +
    `<details><summary>More on ${k}</summary>x</details><button>Act on ${k}</button>` +
    `<textarea name="notes" aria-label="Notes on ${k}"></textarea></div>`
  ).join('');
  const current = build(rows(['INC1', 'INC2']));
  document.querySelector('main').append(current);
  current.querySelector('input[value=INC2]').checked = true;
  current.querySelector('[data-key=INC1] details').open = true;
  current.querySelector('[data-key=INC2] button').focus();
  current.querySelector('[data-key=INC1] textarea').value = 'Restarted the wor';
  window.tocsinLive.swap(current, build(rows(['INC3', 'INC1', 'INC2'])));
  const now = document.getElementById('probe');
  return {
    replaced: now !== current,
    ticked: [...now.querySelectorAll('input:checked')].map((b) => b.value),
    open: [...now.querySelectorAll('details[open]')]
      .map((d) => d.closest('[data-key]').dataset.key),
    focus: document.activeElement.textContent,
    fresh: [...now.querySelectorAll('.live-new')].map((r) => r.dataset.key),
    typed: [...now.querySelectorAll('textarea')].map((t) => t.value),
  };
}"""


def test_a_swap_keeps_ticks_typing_open_sections_and_focus(world: World, page: Page) -> None:
    signed_in_with_script(page)
    assert page.evaluate(SWAP) == {
        "replaced": True,
        "ticked": ["INC2"],
        "open": ["INC1"],
        "focus": "Act on INC2",
        "fresh": ["INC3"],
        "typed": ["", "Restarted the wor", ""],
    }


def test_a_due_time_becomes_a_countdown(world: World, page: Page) -> None:
    signed_in_with_script(page)
    shown = page.evaluate(
        """() => {
        const make = (minutes) => {
          const t = document.createElement('time');
          t.setAttribute('data-countdown', '');
          t.setAttribute('datetime', new Date(Date.now() + minutes * 60000).toISOString());
          t.textContent = '2026-03-02 10:15 CET';
          document.querySelector('main').append(t);
          return t;
        };
        const soon = make(12.5), late = make(-3.5);
        window.tocsinLive.updateCountdowns(document);
        return [soon.textContent, soon.title, soon.className, late.textContent, late.className];
    }"""
    )
    assert shown == [
        "12 min left",
        "Due 2026-03-02 10:15 CET",
        "",
        "3 min overdue",
        "overdue",
    ]
