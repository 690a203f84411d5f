"""The administration pages (/admin/users, /admin/teams, /admin/customers): who may do
what, forms that keep the typed values and say what is wrong, and the CSV exports."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import pytest

from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn, UserPatch
from tocsin.core.errors import Conflict, ValidationFailed

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


NEW_USER = {
    "email": "new.agent@example.com",
    "name": "New Agent",
    "role": "agent",
    "customer": "",
    "time_zone": "Europe/Berlin",
    "password": "a perfectly fine passphrase",
}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


# pages and refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/users", "/admin/teams", "/admin/customers"])
def test_admin_sees_each_list_with_the_tabs(world: World, path: str) -> None:
    sign_in(world, "admin")
    r = world.client.get(path)
    assert r.status_code == 200, r.text
    for tab in ("/admin/users", "/admin/teams", "/admin/customers"):
        assert f'href="{tab}"' in r.text
    assert 'aria-current="page"' in r.text
    assert f'href="{path}.csv"' in r.text


def test_the_users_list_shows_people_and_filters_them(world: World) -> None:
    sign_in(world, "admin")
    r = world.client.get("/admin/users")
    assert "agent@acme.test" in r.text
    assert "manager@example.com" in r.text
    assert "ops" in r.text  # the agent's team
    r = world.client.get("/admin/users", params={"customer": "acme", "role": "agent"})
    assert "agent@acme.test" in r.text
    assert "agent@example.com" not in r.text
    r = world.client.get("/admin/users", params={"q": "MANAGER@"})
    assert "manager@example.com" in r.text
    assert "agent@example.com" not in r.text


def test_an_unknown_role_filter_is_a_sentence(world: World) -> None:
    sign_in(world, "admin")
    r = world.client.get("/admin/users", params={"role": "wizard"})
    assert r.status_code == 422
    assert "Role must be one of" in r.text


@pytest.mark.parametrize("who", ["agent", "manager"])
@pytest.mark.parametrize(
    "path", ["/admin/users/new", "/admin/users/1", "/admin/customers/new", "/admin/customers/acme"]
)
def test_agents_and_managers_are_refused_user_and_customer_forms(
    world: World, who: str, path: str
) -> None:
    sign_in(world, who)
    r = world.client.get(path)
    assert r.status_code == 403, r.text
    assert f"Your role ({who}) does not allow this" in r.text


def test_an_agent_cannot_create_a_user_by_posting(world: World) -> None:
    csrf = sign_in(world, "agent")
    r = world.client.post("/admin/users", data={**NEW_USER, "csrf_token": csrf})
    assert r.status_code == 403
    assert "does not allow this (users.manage)" in r.text
    r = world.client.get("/admin/users")
    assert "new.agent@example.com" not in r.text
    assert 'href="/admin/users/new"' not in r.text  # the button is hidden too


def test_an_agent_cannot_create_a_team_but_a_manager_can(world: World) -> None:
    csrf = sign_in(world, "agent")
    form = {"csrf_token": csrf, "slug": "net", "name": "Network", "members": ["agent@example.com"]}
    r = world.client.post("/admin/teams", data=form)
    assert r.status_code == 403, r.text
    csrf = sign_in(world, "manager")
    r = world.client.post("/admin/teams", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_a_tenant_admin_may_not_create_customers(world: World) -> None:
    csrf = sign_in(world, "acme_admin")
    r = world.client.post(
        "/admin/customers", data={"csrf_token": csrf, "slug": "initech", "name": "Initech"}
    )
    assert r.status_code == 403
    assert "Only the service provider's administrators create customers." in html.unescape(r.text)
    r = world.client.get("/admin/customers")
    assert "Acme Corp" in r.text
    assert "Globex" not in r.text


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/admin/users", NEW_USER),
        ("/admin/teams", {"slug": "net", "name": "Network"}),
        ("/admin/customers", {"slug": "initech", "name": "Initech"}),
        ("/admin/customers/acme", {"name": "Acme Renamed"}),
    ],
)
def test_a_form_without_the_csrf_token_changes_nothing(
    world: World, path: str, form: dict[str, str]
) -> None:
    sign_in(world, "admin")
    r = world.client.post(path, data=form)
    assert r.status_code == 403
    assert "CSRF check failed" in r.text
    assert world.app.auth.get_customer(world.principals["admin"], "acme").name == "Acme Corp"
    assert "new.agent@example.com" not in world.client.get("/admin/users").text
    assert "initech" not in world.client.get("/admin/customers").text


# users ------------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_then_sign_in(world: World) -> None:
    csrf = sign_in(world, "admin")
    r = world.client.post(
        "/admin/users", data={**NEW_USER, "csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    r = world.client.get(r.headers["location"])
    assert "User created." in r.text
    assert "new.agent@example.com" in r.text
    user = world.app.auth.get_user(world.principals["admin"], "new.agent@example.com")
    assert (user.name, user.role, user.time_zone) == ("New Agent", Role.AGENT, "Europe/Berlin")
    assert world.app.auth.login("new.agent@example.com", NEW_USER["password"], source="t")


@pytest.mark.parametrize(
    ("change", "field", "sentence"),
    [
        ({"email": "agent@example.com"}, "email", "This e-mail address is already in use."),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": "password123"}, "password", "10,000 most common"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "time zone"),
        ({"email": "not an address"}, "email", "e-mail"),
    ],
)
def test_a_bad_new_user_is_shown_again_with_a_sentence_and_the_typed_values(
    world: World, change: dict[str, str], field: str, sentence: str
) -> None:
    csrf = sign_in(world, "admin")
    form = {**NEW_USER, **change, "csrf_token": csrf}
    r = world.client.post("/admin/users", data=form)
    assert r.status_code in (409, 422), r.text
    assert sentence.lower() in html.unescape(r.text).lower()
    assert 'value="New Agent"' in r.text  # nothing typed is lost
    assert f'id="{field}"' in r.text
    assert "field-error" in r.text
    assert world.app.auth.list_users(world.principals["admin"], q="new agent").total == 0


def _user_id(world: World, email: str) -> int:
    return world.app.auth.get_user(world.principals["admin"], email).id


def test_admin_edits_a_user_and_their_teams(world: World) -> None:
    csrf = sign_in(world, "admin")
    uid = _user_id(world, "agent@example.com")
    teams = {t.slug: t.id for t in world.app.catalog.list_teams(world.principals["admin"]).items}
    r = world.client.get(f"/admin/users/{uid}")
    assert r.status_code == 200
    assert f'name="teams" value="{teams["ops"]}" checked' in r.text
    form = {
        "csrf_token": csrf,
        "name": "Agnes Agent",
        "role": "manager",
        "time_zone": "Asia/Tokyo",
        "active": "on",
        "teams_shown": "1",
        "teams": [str(teams["dba"])],
    }
    r = world.client.post(f"/admin/users/{uid}", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    user = world.app.auth.get_user(world.principals["admin"], str(uid))
    assert (user.name, user.role, user.time_zone, user.teams) == (
        "Agnes Agent",
        Role.MANAGER,
        "Asia/Tokyo",
        ["dba"],
    )
    assert "Changes saved." in world.client.get(r.headers["location"]).text


def test_an_unknown_team_on_the_user_form_is_a_sentence(world: World) -> None:
    csrf = sign_in(world, "admin")
    uid = _user_id(world, "agent@example.com")
    form = {
        "csrf_token": csrf,
        "name": "Agnes Agent",
        "role": "agent",
        "time_zone": "UTC",
        "active": "on",
        "teams_shown": "1",
        "teams": ["999999"],
    }
    r = world.client.post(f"/admin/users/{uid}", data=form)
    assert r.status_code == 422, r.text
    assert "There is no team with id 999999." in r.text
    assert 'value="Agnes Agent"' in r.text
    assert world.app.auth.get_user(world.principals["admin"], str(uid)).teams == ["ops"]


def test_a_weak_new_password_on_the_edit_form_is_a_sentence(world: World) -> None:
    csrf = sign_in(world, "admin")
    uid = _user_id(world, "agent@example.com")
    form = {"csrf_token": csrf, "name": "Agnes", "role": "agent", "time_zone": "UTC"}
    r = world.client.post(
        f"/admin/users/{uid}", data={**form, "active": "on", "password": "qwerty12"}
    )
    assert r.status_code == 422
    assert "most common" in r.text
    assert 'value="Agnes"' in r.text
    assert world.app.auth.get_user(world.principals["admin"], str(uid)).name != "Agnes"


def test_the_last_administrator_cannot_be_deactivated(world: World) -> None:
    csrf = sign_in(world, "admin")
    uid = _user_id(world, "admin@example.com")
    form = {"csrf_token": csrf, "name": "Admin", "role": "admin", "time_zone": "UTC"}
    r = world.client.post(f"/admin/users/{uid}", data=form)  # "active" unchecked
    assert r.status_code == 409, r.text
    assert "is the last active administrator" in r.text
    assert world.app.auth.get_user(world.principals["admin"], str(uid)).active


def test_deactivating_a_user_shows_in_the_list(world: World) -> None:
    csrf = sign_in(world, "admin")
    uid = _user_id(world, "viewer@example.com")
    form = {"csrf_token": csrf, "name": "Vi", "role": "viewer", "time_zone": "UTC"}
    r = world.client.post(f"/admin/users/{uid}", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "Deactivated" in world.client.get("/admin/users", params={"q": "viewer"}).text


# the rules behind the forms, in the services ------------------------------------------------


def test_the_provider_keeps_an_active_administrator(world: World) -> None:
    admin = world.principals["admin"]
    with pytest.raises(Conflict, match="last active administrator"):
        world.app.auth.patch_user(admin, "admin@example.com", UserPatch(active=False))
    world.app.auth.create_user(
        admin, UserIn(email="second@example.com", role=Role.ADMIN, password="another fine one")
    )
    world.app.auth.patch_user(admin, "second@example.com", UserPatch(role=Role.AGENT))
    world.app.auth.patch_user(admin, "second@example.com", UserPatch(role=Role.ADMIN))
    world.app.auth.patch_user(admin, "admin@example.com", UserPatch(active=False))
    with pytest.raises(Conflict, match="last active administrator"):
        world.app.auth.patch_user(admin, "second@example.com", UserPatch(role=Role.MANAGER))
    # A tenant's only administrator is not the provider's: the provider can still manage it.
    world.app.auth.patch_user(admin, "admin@acme.test", UserPatch(active=False))


def test_set_user_teams_follows_the_membership_rule(world: World) -> None:
    admin = world.principals["admin"]
    teams = {t.slug: t.id for t in world.app.catalog.list_teams(admin).items}
    assert world.app.catalog.set_user_teams(
        admin, "agent@example.com", [teams["dba"], teams["ops"]]
    ) == ["dba", "ops"]
    with pytest.raises(ValidationFailed, match="only admins, managers and agents"):
        world.app.catalog.set_user_teams(admin, "viewer@example.com", [teams["ops"]])
    # A tenant's administrator neither sees nor changes another customer's teams.
    with pytest.raises(ValidationFailed, match="no team"):
        world.app.catalog.set_user_teams(
            world.principals["acme_admin"], "agent@acme.test", [teams["globex-it"]]
        )
    assert world.app.catalog.get_team(admin, "dba").members == [
        "admin@example.com",
        "agent@example.com",
    ]


# teams and customers -----------------------------------------------------------------------


def test_admin_creates_and_edits_a_team(world: World) -> None:
    csrf = sign_in(world, "admin")
    form = {
        "csrf_token": csrf,
        "slug": "net",
        "name": "Network",
        "customer": "",
        "members": ["agent@example.com", "manager@example.com"],
    }
    r = world.client.post("/admin/teams", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/admin/teams/default/net?ok=team_created"
    team = world.app.catalog.get_team(world.principals["admin"], "net")
    assert team.members == ["agent@example.com", "manager@example.com"]
    r = world.client.post(
        "/admin/teams/default/net",
        data={"csrf_token": csrf, "name": "Networking", "members": ["manager@example.com"]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    team = world.app.catalog.get_team(world.principals["admin"], "net")
    assert (team.name, team.members) == ("Networking", ["manager@example.com"])
    r = world.client.get("/admin/teams")
    assert "Networking" in r.text


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"slug": "ops"}, "already has a team 'ops'"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"members": ["viewer@example.com"]}, "only admins, managers and agents"),
        ({"members": ["nobody@example.com"]}, "There is no user nobody@example.com."),
        ({"escalation_policy": "nope"}, "nope"),
    ],
)
def test_a_bad_team_is_shown_again_with_a_sentence(
    world: World, change: dict[str, object], sentence: str
) -> None:
    csrf = sign_in(world, "admin")
    form = {"csrf_token": csrf, "slug": "net", "name": "Network Team", **change}
    r = world.client.post("/admin/teams", data=form)
    assert r.status_code in (409, 422), r.text
    assert sentence.lower() in html.unescape(r.text).lower()
    assert 'value="Network Team"' in r.text


def test_admin_creates_and_renames_a_customer(world: World) -> None:
    csrf = sign_in(world, "admin")
    r = world.client.post(
        "/admin/customers",
        data={"csrf_token": csrf, "slug": "initech", "name": "Initech"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "Customer created." in world.client.get(r.headers["location"]).text
    r = world.client.post(
        "/admin/customers/initech",
        data={"csrf_token": csrf, "name": "Initech Ltd"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Initech Ltd" in world.client.get("/admin/customers").text
    r = world.client.post(
        "/admin/customers", data={"csrf_token": csrf, "slug": "initech", "name": "Again"}
    )
    assert r.status_code == 409
    assert "already exists" in r.text
    assert 'value="Again"' in r.text
    r = world.client.post("/admin/customers/initech", data={"csrf_token": csrf, "name": " "})
    assert r.status_code == 422
    assert world.app.auth.get_customer(world.principals["admin"], "initech").name == "Initech Ltd"


# CSV -------------------------------------------------------------------------------------


def test_users_csv_lists_the_filtered_users(world: World) -> None:
    sign_in(world, "admin")
    r = world.client.get("/admin/users.csv", params={"customer": "acme"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="users.csv"' in r.headers["content-disposition"]
    rows = _rows(r.text)
    assert {row["email"] for row in rows} == {
        "alice@acme.test",
        "bob@acme.test",
        "agent@acme.test",
        "admin@acme.test",
        "manager@acme.test",
    }
    assert all(row["customer"] == "acme" for row in rows)


def test_teams_and_customers_csv(world: World) -> None:
    sign_in(world, "admin")
    teams = {row["slug"]: row for row in _rows(world.client.get("/admin/teams.csv").text)}
    assert teams["ops"]["members"] == "agent@example.com, manager@example.com"
    assert teams["ops"]["member_count"] == "2"
    assert teams["globex-it"]["customer"] == "globex"
    customers = {row["slug"]: row for row in _rows(world.client.get("/admin/customers.csv").text)}
    assert customers["acme"]["users"] == "5"
    assert customers["acme"]["open_incidents"] == "0"
    assert customers["default"]["provider"] == "True"


def test_a_tenant_admin_exports_only_their_own_users(world: World) -> None:
    sign_in(world, "acme_admin")
    emails = {row["email"] for row in _rows(world.client.get("/admin/users.csv").text)}
    assert emails
    assert all(e.endswith("@acme.test") for e in emails)


def test_a_csv_with_a_bad_filter_is_a_sentence_not_a_bigger_export(world: World) -> None:
    sign_in(world, "admin")
    r = world.client.get("/admin/users.csv", params={"role": "wizard"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "Role must be one of" in r.text
    r = world.client.get("/admin/users.csv", params={"customer": "nowhere"})
    assert r.status_code == 404
    assert "There is no customer" in html.unescape(r.text)
