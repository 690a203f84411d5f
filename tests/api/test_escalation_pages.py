"""The escalation policy pages: levels in order, whom a schedule target pages right now,
which teams use the policy, and the CSV of the list."""

from __future__ import annotations

import csv
import io

from tocsin.catalog.schemas import TeamPatch
from tocsin.oncall.schemas import PolicyIn

from .conftest import World
from .test_console_input import sign_in
from .test_oncall_api import make_schedule


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
