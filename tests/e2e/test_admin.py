"""The administration pages in a real browser: an administrator adds a person and a team,
and the new person signs in; each page fits a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_user
from tocsin.auth.roles import Role

from .conftest import PASSWORD, World, assert_fits, shoot, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "root@example.com"
NEWCOMER = "nina.new@example.com"
NEWCOMER_PASSWORD = "lantern orbit meadow"


@pytest.fixture
def admin_user(world: World) -> str:
    make_user(world.app, world.admin, ADMIN, Role.ADMIN, password=PASSWORD)
    return ADMIN


def test_admin_adds_a_user_and_a_team_and_the_user_signs_in(
    world: World, admin_user: str, page: Page
) -> None:
    sign_in(page, admin_user)
    page.get_by_role("link", name="Admin").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("heading", name=re.compile("Users"))).to_be_visible()
    expect(page.locator("table.list")).to_contain_text("Ada Agent")

    page.get_by_role("link", name="New user").click()
    page.get_by_label("E-mail").fill(NEWCOMER)
    page.get_by_label("Name").fill("Nina New")
    page.get_by_label("Role").select_option("agent")
    page.get_by_label("Time zone").fill("Europe/Lisbon")
    # A common password is refused with a sentence; what was typed stays.
    page.get_by_label("Initial password").fill("password1")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".alert.error")).to_be_visible()
    expect(page.locator(".field-error")).to_contain_text("most common")
    expect(page.get_by_label("E-mail")).to_have_value(NEWCOMER)
    page.get_by_label("Initial password").fill(NEWCOMER_PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text("User created.")
    expect(page.get_by_role("heading", name="Nina New")).to_be_visible()

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="New team").click()
    page.get_by_label("Name").fill("Network")
    page.get_by_label("Slug").fill("net")
    page.get_by_label(re.compile("Nina New")).check()
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("status")).to_have_text("Team created.")
    expect(page.get_by_label(re.compile("Nina New"))).to_be_checked()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Teams").click()
    network = page.locator("table.list tbody tr", has_text="Network")
    expect(network.locator(".count")).to_have_text("1")
    shoot(page, "admin-teams")

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Users").click()
    expect(page.locator("tr", has_text=NEWCOMER)).to_contain_text("net")
    shoot(page, "admin-users")
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Customers"
    ).click()
    expect(page.locator("table.list")).to_contain_text("Acme Corp")
    shoot(page, "admin-customers")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, NEWCOMER, NEWCOMER_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".who .user")).to_contain_text("Nina New")
    # An agent has no Admin section.
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users",
        "/admin/users/new",
        "/admin/teams",
        "/admin/teams/new",
        "/admin/customers",
        "/admin/customers/new",
    ],
)
def test_admin_pages_fit_a_phone(world: World, admin_user: str, phone: Page, path: str) -> None:
    sign_in(phone, admin_user)
    expect(phone).to_have_url(re.compile(r"/$"))
    phone.goto(path)
    expect(phone.locator("h1")).to_be_visible()
    assert_fits(phone)
    shoot(phone, "phone" + path.replace("/", "-"))


def test_admin_edit_pages_fit_a_phone(world: World, admin_user: str, phone: Page) -> None:
    agent_id = world.app.auth.get_user(world.admin, "agent@example.com").id
    sign_in(phone, admin_user)
    expect(phone).to_have_url(re.compile(r"/$"))
    for name, path in [
        ("phone-admin-user-edit", f"/admin/users/{agent_id}"),
        ("phone-admin-team-edit", "/admin/teams/default/ops"),
        ("phone-admin-customer-edit", "/admin/customers/acme"),
    ]:
        phone.goto(path)
        expect(phone.get_by_role("button", name=re.compile("Save changes|Rename"))).to_be_visible()
        assert_fits(phone)
        shoot(phone, name)
    phone.goto(f"/admin/users/{agent_id}")
    expect(phone.get_by_label(re.compile("Operations"))).to_be_checked()
