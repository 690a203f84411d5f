"""The dashboard in a real browser: counts, charts that load, a cell that opens the queue,
the dark theme, and a phone-sized screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn

from .conftest import AGENT, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e


def _seed(world: World) -> None:
    numbers = [
        world.app.incidents.create(
            world.admin,
            IncidentIn(title=title, impact=impact, urgency=urgency, customer="acme", team="ops"),
        ).number
        for title, impact, urgency in [
            ("VPN drops every 10 minutes", 2, 1),
            ("Checkout answers 502", 1, 1),
            ("Payroll export is slow", 2, 2),
            ("Printer on floor 3 jams", 3, 3),
        ]
    ]
    world.app.clock.advance(minutes=7)  # type: ignore[attr-defined]
    world.app.actions.perform(world.agent, numbers[0], Action.ACKNOWLEDGE, ActionIn())


def _chart_loaded(page: Page, src: str) -> bool:
    return bool(
        page.evaluate(
            "s => { const i = document.querySelector(`img[src='${s}']`);"
            " return !!i && i.complete && i.naturalWidth > 0; }",
            src,
        )
    )


def test_the_dashboard_shows_counts_and_charts_and_opens_the_queue(
    world: World, page: Page
) -> None:
    _seed(world)
    sign_in(page, AGENT)
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.locator("nav.mainnav a[aria-current=page]")).to_have_text("Dashboard")
    matrix = page.locator("table.dash-matrix")
    expect(matrix.get_by_role("link", name="1 Assigned P1")).to_be_visible()
    expect(matrix.get_by_role("link", name="1 In progress P2")).to_be_visible()
    expect(matrix.get_by_role("link", name="4 open", exact=True)).to_be_visible()
    trend = page.locator("section.dash-trend")
    expect(trend.locator("dd").first).to_have_text("7 min")
    for src in ("/dashboard/charts/open.svg", "/dashboard/charts/timing.svg"):
        page.wait_for_function(
            "s => { const i = document.querySelector(`img[src='${s}']`);"
            " return i && i.complete && i.naturalWidth > 0; }",
            arg=src,
        )
        assert _chart_loaded(page, src)
    trend.locator("summary", has_text="Daily figures").click()
    expect(trend.locator("details table tbody tr").first).to_contain_text("2026-03-02")
    shoot(page, "dashboard")

    matrix.get_by_role("link", name="1 Assigned P1").click()
    expect(page).to_have_url(re.compile(r"/\?state=assigned&priority=1$"))
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Checkout answers 502")


def test_the_dashboard_in_the_dark_theme(world: World, page: Page) -> None:
    _seed(world)
    sign_in(page, AGENT)
    page.goto("/dashboard")
    page.select_option("#theme-choice", "dark")
    page.click(".theme-switch button:has-text('Set')")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    shoot(page, "dashboard-dark")


def test_the_dashboard_fits_a_phone(world: World, phone: Page) -> None:
    _seed(world)
    sign_in(phone, AGENT)
    phone.goto("/dashboard")
    expect(phone.locator("table.dash-matrix")).to_be_visible()
    phone.wait_for_function(
        "() => [...document.querySelectorAll('img.chart')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert_fits(phone)
    # the tiles stack: each one starts at the same left edge
    lefts = phone.evaluate(
        "[...document.querySelectorAll('#dashboard-live > section')]"
        ".map(s => Math.round(s.getBoundingClientRect().left))"
    )
    assert len(set(lefts)) == 1, lefts
    shoot(phone, "dashboard-phone")
