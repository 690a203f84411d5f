"""Problem management in a real browser: a manager sees recurring alerts proposed as a
problem, accepts it, records the root cause and workaround, makes it a known error; the
next alert's incident shows the workaround."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.core.clock import FrozenClock

from .conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.e2e

MANAGER = "mia@example.com"


def _alert(page: Page, key: str, status: str = "firing") -> None:
    r = page.request.post(
        "/api/v1/ingest/generic",
        headers={"Authorization": f"Bearer {key}"},
        data={
            "summary": "Disk full on db-1",
            "severity": "critical",
            "dedup_key": "disk-db1",
            "status": status,
        },
    )
    assert r.status == 202, r.text()


def test_recurring_alerts_become_a_known_error_shown_on_the_next_incident(
    world: World, page: Page, clock: FrozenClock
) -> None:
    app, admin = world.app, world.admin
    app.auth.create_user(
        admin, UserIn(email=MANAGER, name="Mia", role=Role.MANAGER, password=PASSWORD)
    )
    key = app.integrations.create(
        admin, IntegrationIn(type="generic", name="monitoring", service="acme-web")
    ).key
    for _ in range(3):  # the same alert fires and clears, a day apart (not a flap)
        _alert(page, key)
        _alert(page, key, "resolved")
        clock.advance(timedelta(days=1))

    sign_in(page, MANAGER)
    page.goto("/problems")
    page.click("a.button:has-text('Candidates')")
    candidate = page.locator("section.candidate")
    expect(candidate).to_have_count(1)
    expect(candidate.locator("li")).to_have_count(3)
    candidate.get_by_role("button", name="Accept as problem").click()

    expect(page).to_have_url(re.compile(r"/problems/PRB\d{7}"))
    expect(page.locator("#problem-impact")).to_contain_text("3")
    page.get_by_role("button", name="Mark assessed").click()
    page.get_by_role("button", name="Start root cause analysis").click()
    page.fill("#root_cause", "Log rotation disabled after the upgrade")
    page.fill("#five_whys", "Disk full\nLogs grow\nRotation off")
    page.fill("#workaround", "Delete /var/log/app/*.old and restart the app")
    page.get_by_role("button", name="Known error", exact=True).click()
    expect(page.locator("#problem-state")).to_have_text("Known error")
    problem = page.url.rsplit("/", 1)[-1].split("?")[0]

    _alert(page, key)  # it happens again
    incident = app.alerts.list(admin, limit=1).items[0].incident
    assert incident is not None
    page.goto(f"/incidents/{incident.number}")
    section = page.locator("#problem-known-errors")
    expect(section).to_contain_text("Delete /var/log/app/*.old and restart the app")
    expect(section.get_by_role("link", name=problem)).to_be_visible()
