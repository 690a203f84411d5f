"""The escalation policy pages: levels in order, whom a schedule target pages right now,
which teams use the policy, and the CSV of the list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tocsin.catalog.schemas import TeamPatch
from tocsin.oncall.schemas import PolicyIn

from .conftest import World, sqlite_only
from .test_console_input import sign_in
from .test_oncall_api import make_schedule


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


def make_policy(world: World) -> None:
    make_schedule(world)
    admin = world.principals["admin"]
    world.app.oncall.create_policy(
        admin,
        PolicyIn.model_validate(
            {
                "name": "Ops paging",
                "slug": "ops-paging",
                "repeat": 2,
                "levels": [
                    {"delay_minutes": 15, "targets": [{"type": "schedule", "ref": "primary"}]},
                    {
                        "delay_minutes": 30,
                        "targets": [
                            {"type": "user", "ref": "manager@example.com"},
                            {"type": "team", "ref": "dba"},
                        ],
                    },
                ],
            }
        ),
    )
    world.app.catalog.patch_team(admin, "ops", TeamPatch(escalation_policy="ops-paging"))


def test_the_policy_page_resolves_schedules_to_people_now(world: World) -> None:
    make_policy(world)
    sign_in(world, "agent")
    r = world.client.get("/escalation-policies/ops-paging")
    assert r.status_code == 200, r.text
    level_1, level_2 = r.text.split('class="esc-level"')[1:3]
    assert "primary" in level_1
    assert "agent@example.com" in level_1
    assert "Escalate to level 2 after 15 min without acknowledgement" in level_1
    assert "manager@example.com" in level_2
    assert "dba" in level_2
    assert "repeat from level 1" in level_2
    assert "2 more times" in r.text
    assert "team ops" in r.text.split("Used by", 1)[1]


def test_the_list_and_its_csv(world: World) -> None:
    make_policy(world)
    sign_in(world, "viewer")
    r = world.client.get("/escalation-policies")
    assert r.status_code == 200
    assert "Ops paging" in r.text
    assert "/escalation-policies/ops-paging?customer=default" in r.text
    r = world.client.get("/escalation-policies.csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows == [
        ["slug", "name", "customer", "repeat", "levels"],
        [
            "ops-paging",
            "Ops paging",
            "default",
            "2",
            "schedule primary (then 15 min); user manager@example.com, team dba (then 30 min)",
        ],
    ]


def test_an_unknown_policy_is_a_page_not_a_500(world: World) -> None:
    sign_in(world, "viewer")
    r = world.client.get("/escalation-policies/nope")
    assert r.status_code == 404
    assert "nope" in r.text


POLICY_FORM = {
    "name": "Night paging",
    "slug": "night",
    "repeat": "1",
    "level0_schedule": "primary",
    "level0_delay": "10",
    "level1_user": "manager@example.com, admin@example.com",
    "level1_team": "dba",
    "level1_delay": "20",
}


def test_a_policy_is_created_and_edited_through_the_form(world: World) -> None:
    make_schedule(world)
    csrf = sign_in(world, "admin")
    assert world.client.get("/escalation-policies/new").status_code == 200
    r = world.client.post(
        "/escalation-policies", data={"csrf_token": csrf, **POLICY_FORM}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    admin = world.principals["admin"]
    made = world.app.oncall.get_policy(admin, "night")
    assert [(x.delay_minutes, [(t.type, t.ref) for t in x.targets]) for x in made.levels] == [
        (10, [("schedule", "primary")]),
        (20, [("user", "manager@example.com"), ("user", "admin@example.com"), ("team", "dba")]),
    ]
    edit = world.client.get("/escalation-policies/night/edit?customer=default")
    assert 'value="manager@example.com, admin@example.com"' in edit.text
    r = world.client.post(
        "/escalation-policies/night",
        data={"csrf_token": csrf, "customer": "default", "name": "Night", "repeat": "0",
              "level0_user": "agent@example.com", "level0_delay": "5"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    assert "Escalation policy saved." in world.client.get(r.headers["location"]).text
    saved = world.app.oncall.get_policy(admin, "night")
    assert (saved.name, saved.repeat, len(saved.levels)) == ("Night", 0, 1)


def test_a_wrong_policy_form_names_the_field_and_keeps_values(world: World) -> None:
    make_schedule(world)
    csrf = sign_in(world, "admin")
    form = {"csrf_token": csrf, **POLICY_FORM, "level1_team": "no-such-team"}
    r = world.client.post("/escalation-policies", data=form)
    assert r.status_code == 422, r.text
    error = r.text.split('name="level1_team"', 1)[1].split("</div>", 1)[0]
    assert "no-such-team" in error
    assert "field-error" in error
    assert 'value="manager@example.com, admin@example.com"' in r.text
    r = world.client.post(
        "/escalation-policies", data={"csrf_token": csrf, "name": "x", "slug": "x"}
    )
    assert r.status_code == 422
    assert "at least one level" in r.text
    assert world.app.oncall.list_policies(world.principals["admin"]).total == 0


def test_an_agent_may_not_create_a_policy(world: World) -> None:
    csrf = sign_in(world, "agent")
    assert world.client.get("/escalation-policies/new").status_code == 403
    r = world.client.post("/escalation-policies", data={"csrf_token": csrf, **POLICY_FORM})
    assert r.status_code == 403
