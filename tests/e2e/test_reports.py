"""The reports page in a real browser: a manager picks MTTR by team for last quarter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn

from .conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.e2e
MANAGER = "manager@example.com"


def test_a_manager_sees_mttr_by_team_for_last_quarter(world: World, page: Page) -> None:
    app = world.app
    app.auth.create_user(
        world.admin, UserIn(email=MANAGER, name="Max", role=Role.MANAGER, password=PASSWORD)
    )
    for title, day in (("Mail bounces", 1), ("VPN down", 3)):
        number = app.incidents.create(
            world.admin,
            IncidentIn(title=title, team="ops", opened_at=datetime(2025, 12, day, tzinfo=UTC)),
        ).number
        app.actions.perform(
            world.admin,
            number,
            Action.RESOLVE,
            ActionIn(resolution_code="solved_permanently", resolution_notes="done"),  # type: ignore[arg-type]
        )
    sign_in(page, MANAGER)
    page.goto("/dashboard")
    page.locator("nav.mainnav").get_by_role("link", name="Reports").click()
    page.get_by_label("Report", exact=True).select_option("mttr")
    page.get_by_label("Period", exact=True).select_option("last-quarter")
    page.get_by_label("By", exact=True).select_option("team")
    page.get_by_role("button", name="Show").click()
    expect(
        page.get_by_role("heading", name="mttr: 2025-10-01 00:00 to 2026-01-01 00:00 UTC")
    ).to_be_visible()
    table = page.locator("table.report-table")
    row = table.locator("tbody tr").first
    expect(row.locator("td").first).to_have_text("ops")
    expect(row.locator("td").nth(1)).to_have_text("2")
    chart = page.locator("section.report-result img.chart")
    expect(chart).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('section.report-result img.chart');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/reports/download.csv?report=mttr&period=last-quarter&by=team&interval=day"
    )
