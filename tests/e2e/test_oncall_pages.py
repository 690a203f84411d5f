"""On-call, escalation policy and SLA pages in a real browser: an administrator adds an
override and sees the calendar change; every page fits a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_user
from tocsin.auth.roles import Role
from tocsin.oncall.schemas import PolicyIn, ScheduleIn
from tocsin.sla.schemas import CalendarIn, SlaPolicyIn

from .conftest import AGENT, PASSWORD, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
PAGES = (
    "/oncall",
    "/oncall/schedules/primary",
    "/escalation-policies",
    "/escalation-policies/ops-paging",
    "/sla",
    "/sla/policies/p1-gold",
    "/sla/calendars/office",
    "/oncall/schedules/new",
    "/escalation-policies/new",
    "/escalation-policies/ops-paging/edit",
    "/sla/policies/new",
    "/sla/calendars/new",
)


def _seed(world: World) -> None:
    app, admin = world.app, world.admin
    make_user(app, admin, ADMIN, Role.ADMIN, password=PASSWORD)
    app.oncall.create_schedule(
        admin,
        ScheduleIn.model_validate(
            {
                "name": "Primary",
                "slug": "primary",
                "time_zone": "Europe/Berlin",
                "layers": [
                    {
                        "name": "week",
                        "start": "2026-03-02T09:00:00+01:00",
                        "rotation": "daily",
                        "handoff": "09:00",
                        "users": [AGENT, ADMIN],
                        "restrictions": [
                            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00",
                             "end": "22:00"}
                        ],
                    }
                ],
            }
        ),
    )  # fmt: skip
    app.oncall.create_policy(
        admin,
        PolicyIn.model_validate(
            {
                "name": "Ops paging",
                "slug": "ops-paging",
                "levels": [
                    {"delay_minutes": 15, "targets": [{"type": "schedule", "ref": "primary"}]},
                    {"delay_minutes": 30, "targets": [{"type": "user", "ref": ADMIN}]},
                ],
            }
        ),
    )
    app.sla.calendars.create(
        admin,
        CalendarIn(
            slug="office",
            name="Berlin office",
            time_zone="Europe/Berlin",
            hours={d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            holidays="DE-BE",
        ),
    )
    app.sla.policies.create(
        admin,
        SlaPolicyIn(
            name="Gold P1",
            slug="p1-gold",
            priority=1,
            response_minutes=15,
            resolution_minutes=240,
            calendar="office",
        ),
    )


def test_admin_adds_an_override_and_sees_the_calendar_change(world: World, page: Page) -> None:
    _seed(world)
    sign_in(page, ADMIN)
    page.goto("/oncall")
    row = page.locator("table.oncall-now tbody tr", has_text="Primary")
    expect(row.locator(".oncall-person")).to_contain_text(AGENT)
    expect(row).to_contain_text("Nobody is on call")  # the nights are not covered
    shoot(page, "oncall")
    row.get_by_role("link", name="Primary").click()
    expect(page.get_by_role("heading", name="Primary", level=1)).to_be_visible()
    first_day = page.locator(".oncall-day").first
    expect(first_day).not_to_contain_text("override")
    page.get_by_label("Who will be on call (e-mail)").fill(ADMIN)
    page.get_by_label("Override starts").fill("2026-03-02T12:00")
    page.get_by_label("Override ends").fill("2026-03-02T15:00")
    page.get_by_role("button", name="Add override").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("Override added"))
    expect(first_day).to_contain_text(f"12:00\u201315:00 {ADMIN} override")
    expect(page.locator("#overrides tbody tr")).to_have_count(1)
    shoot(page, "schedule")
    # a wrong override keeps what was typed and says why
    page.get_by_label("Who will be on call (e-mail)").fill(AGENT)
    page.get_by_label("Override starts").fill("2026-03-03T12:00")
    page.get_by_label("Override ends").fill("2026-03-03T11:00")
    page.get_by_role("button", name="Add override").click()
    expect(page.locator(".field-error")).to_have_text(re.compile("end must be after its start"))
    expect(page.get_by_label("Who will be on call (e-mail)")).to_have_value(AGENT)
    # deleting it restores the layer's shift
    page.get_by_role("button", name=re.compile(f"Delete the override of {ADMIN}")).click()
    expect(page.get_by_role("status")).to_have_text("Override deleted.")
    expect(page.locator(".oncall-day").first).not_to_contain_text("override")


def test_policy_and_sla_pages(world: World, page: Page) -> None:
    _seed(world)
    sign_in(page, AGENT)
    page.goto("/escalation-policies/ops-paging")
    expect(page.locator(".esc-level").first).to_contain_text(AGENT)  # on call now
    shoot(page, "escalation-policy")
    page.goto("/sla")
    row = page.locator("tr", has_text="Gold P1")
    expect(row).to_contain_text("15 min")
    expect(row).to_contain_text("4 h")
    expect(row.get_by_role("link", name="office")).to_be_visible()
    expect(page.locator("#sla-now")).to_contain_text("No running SLA clock")
    shoot(page, "sla")


def test_every_page_fits_a_phone(world: World, phone: Page) -> None:
    _seed(world)
    sign_in(phone, ADMIN)
    expect(phone).to_have_url(re.compile(r"/$"))
    for path in PAGES:
        phone.goto(path)
        expect(phone.locator("h1")).to_be_visible()
        assert_fits(phone)
    phone.goto("/oncall/schedules/primary")
    shoot(phone, "schedule-phone")
