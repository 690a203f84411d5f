"""The incident queue in a real browser: filters, sort, saved views, keyboard selection
and bulk acknowledge, the CSV download, and the queue on a phone."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from tocsin.incidents.schemas import IncidentIn

from .conftest import AGENT, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e


def _seed(world: World) -> dict[str, str]:
    numbers = {}
    for title, impact, urgency, service in [
        ("VPN drops every 10 minutes", 3, 3, None),
        ("Checkout answers 502", 1, 1, "acme-web"),
        ("Login page is slow", 3, 2, "acme-web"),
        ("Printer on floor 3 jams", 3, 3, None),
    ]:
        data = IncidentIn(
            title=title, impact=impact, urgency=urgency, customer="acme", service=service
        )
        numbers[title] = world.app.incidents.create(world.admin, data).number
    return numbers


def _titles(page: Page) -> list[str]:
    return page.locator("#queue-rows tr[data-key] a.title").all_inner_texts()


def test_filter_sort_and_save_a_view(world: World, page: Page) -> None:
    _seed(world)
    page.goto("/")
    sign_in(page, AGENT)
    expect(page.locator("#queue-rows tr[data-key]")).to_have_count(4)

    page.select_option("select#service", "acme-web")
    page.click("form.filters button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"service=acme-web"))
    expect(page.locator("#queue-rows tr[data-key]")).to_have_count(2)
    expect(page.locator("#queue-count")).to_have_text("2")

    page.click("th a:has-text('Pri')")
    expect(page).to_have_url(re.compile(r"sort=priority"))
    assert _titles(page) == ["Checkout answers 502", "Login page is slow"]
    expect(page.locator("th", has_text="Pri")).to_have_attribute("aria-sort", "ascending")
    page.click("th a:has-text('Pri')")
    expect(page).to_have_url(re.compile(r"sort=-priority"))
    assert _titles(page) == ["Login page is slow", "Checkout answers 502"]

    page.click("summary:has-text('Save view')")
    page.get_by_label("Name of this view").fill("Web shop")
    page.click("form.save-view-form button:has-text('Save view')")
    expect(page.locator(".alert.ok")).to_contain_text("View saved")
    shoot(page, "queue")

    page.click("nav.views a:has-text('Open incidents')")
    expect(page.locator("#queue-rows tr[data-key]")).to_have_count(4)
    page.click("nav.views a:has-text('Web shop')")
    expect(page).to_have_url(re.compile(r"service=acme-web&sort=-priority"))
    expect(page.locator("nav.views a:has-text('Web shop')")).to_have_attribute(
        "aria-current", "page"
    )
    assert _titles(page) == ["Login page is slow", "Checkout answers 502"]


def test_select_rows_with_the_keyboard_and_acknowledge_them(world: World, page: Page) -> None:
    numbers = _seed(world)
    page.goto("/")
    sign_in(page, AGENT)
    expect(page.locator("#queue-rows tr[data-key]")).to_have_count(4)
    page.keyboard.press("?")
    expect(page.locator("#queue-help")).to_be_visible()
    expect(page.locator("#queue-help")).to_contain_text("Acknowledge the selected incidents")
    page.keyboard.press("Escape")
    expect(page.locator("#queue-help")).to_be_hidden()

    # newest first: Printer, Login, Checkout, VPN
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    rows = page.locator("#queue-rows tr[data-key]")
    expect(rows.nth(2)).to_have_class(re.compile("cursor"))
    checked = page.locator("#queue-rows input[name=ids]:checked")
    expect(checked).to_have_count(2)
    picked = [numbers["Printer on floor 3 jams"], numbers["Checkout answers 502"]]
    assert [checked.nth(i).get_attribute("value") for i in range(2)] == picked
    # typing in the search box is typing, not a shortcut
    page.keyboard.press("/")
    expect(page.locator("#queue-search")).to_be_focused()
    page.keyboard.type("jx")
    expect(page.locator("#queue-search")).to_have_value("jx")
    expect(checked).to_have_count(2)
    page.locator("#queue-search").blur()

    page.keyboard.press("Shift+A")
    expect(page.locator(".alert.ok")).to_have_text("2 acknowledged")
    # the address is the queue's again: a reload does not post the form a second time
    expect(page).to_have_url(re.compile(r"/$"))
    for number in picked:
        row = page.locator(f"#queue-rows tr[data-key={number}]")
        expect(row.locator(".state")).to_have_text("In progress")
        expect(row.locator(".assignee-cell [title]")).to_have_attribute("title", AGENT)
    other = page.locator(f"#queue-rows tr[data-key={numbers['VPN drops every 10 minutes']}]")
    expect(other.locator(".state")).to_have_text("New")


def test_export_the_queue_as_csv(world: World, page: Page) -> None:
    numbers = _seed(world)
    page.goto("/?service=acme-web&sort=priority")
    sign_in(page, AGENT)
    page.goto("/?service=acme-web&sort=priority")
    with page.expect_download() as download_info:
        page.click("a:has-text('Export CSV')")
    download = download_info.value
    assert download.suggested_filename == "incidents.csv"
    path = download.path()
    assert path is not None
    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    assert rows[0][:4] == ["number", "priority", "state", "title"]
    expected = [numbers["Checkout answers 502"], numbers["Login page is slow"]]
    assert [r[0] for r in rows[1:]] == expected


def test_the_queue_on_a_phone(world: World, phone: Page) -> None:
    numbers = _seed(world)
    world.app.incidents.create(
        world.admin,
        IncidentIn(
            title="A very long title " * 8, impact=2, urgency=2, customer="acme", team="ops"
        ),
    )
    phone.goto("/")
    sign_in(phone, AGENT)
    expect(phone.locator("#queue-rows tr[data-key]")).to_have_count(5)
    # the filters are folded away behind their summary
    expect(phone.locator("form.filters")).to_be_hidden()
    phone.click("summary:has-text('Filters')")
    expect(phone.locator("form.filters")).to_be_visible()
    card = phone.locator(f"#queue-rows tr[data-key={numbers['Checkout answers 502']}]")
    expect(card.locator(".prio")).to_have_text("P1")
    expect(card.locator(".state")).to_have_text("Assigned")
    expect(card.locator("a.title")).to_be_visible()
    expect(card.locator("td.assignee-cell")).to_contain_text("Assignee")
    expect(phone.locator("table.queue thead")).to_be_hidden()
    assert_fits(phone)
    shoot(phone, "queue-phone")
