"""On-call over HTTP: schedules, overrides, escalation policies, who is on call, the
calendar feeds; validation sentences and tenant isolation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from .conftest import World

SCHEDULE: dict[str, Any] = {
    "name": "Primary",
    "slug": "primary",
    "time_zone": "Europe/Berlin",
    "layers": [
        {
            "name": "week",
            "start": "2026-03-02T09:00:00+01:00",
            "rotation": "daily",
            "handoff": "09:00",
            "users": ["agent@example.com", "manager@example.com"],
        },
    ],
}


def make_schedule(world: World, body: dict[str, Any] | None = None, who: str = "admin") -> Any:
    r = world.client.post("/api/v1/schedules", json=body or SCHEDULE, headers=world.h(who))
    assert r.status_code == 201, r.text
    return r.json()


def detail(r: Any) -> str:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return str(r.json()["detail"])


def test_schedule_round_trip_and_who_is_on_call(world: World) -> None:
    made = make_schedule(world)
    assert made["layers"][0]["users"] == ["agent@example.com", "manager@example.com"]
    assert made["layers"][0]["rotation"] == "daily"
    assert made["customer"] == "default" or made["customer"]
    assert made["warnings"] == []
    assert "/ical/schedules/" in made["ical_url"]
    # the clock stands at Mon 2 Mar 2026 09:00 UTC = 10:00 Berlin: day one, first user
    r = world.client.get("/api/v1/oncall?schedule=primary", headers=world.h("agent"))
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    [who] = item["on_call"]
    assert who["user"] == "agent@example.com"
    assert who["start"].startswith("2026-03-02T08:00:00")
    assert who["end"].startswith("2026-03-03T08:00:00")
    r = world.client.get(
        "/api/v1/oncall",
        params={"schedule": "primary", "at": "2026-03-03T12:00:00+01:00"},
        headers=world.h("viewer"),
    )
    assert [u["user"] for u in r.json()["items"][0]["on_call"]] == ["manager@example.com"]


def test_gaps_are_warned_in_the_schedule_zone(world: World) -> None:
    body = {
        **SCHEDULE,
        "layers": [
            {
                **SCHEDULE["layers"][0],
                "restrictions": [
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "18:00"}
                ],
            }
        ],
    }
    made = make_schedule(world, body)
    assert "Nobody is on call on Mon 2 Mar 2026 from 18:00 to 24:00" not in made["warnings"]
    assert made["warnings"][0] == (
        "Nobody is on call from Mon 2 Mar 2026 18:00 to Tue 3 Mar 2026 08:00 (Europe/Berlin)."
    )
    assert (
        "Nobody is on call from Fri 6 Mar 2026 18:00 to Mon 9 Mar 2026 08:00 (Europe/Berlin)."
        in made["warnings"]
    )


def test_overrides_win_and_can_be_removed(world: World) -> None:
    make_schedule(world)
    r = world.client.post(
        "/api/v1/schedules/primary/overrides",
        json={
            "user": "admin@example.com",
            "start": "2026-03-02T12:00:00+01:00",
            "end": "2026-03-02T14:00:00+01:00",
        },
        headers=world.h("manager"),
    )
    assert r.status_code == 201, r.text
    override = r.json()
    assert override["created_by"] == "manager@example.com"
    r = world.client.get(
        "/api/v1/schedules/primary/shifts",
        params={"start": "2026-03-02T10:00:00+01:00", "end": "2026-03-02T16:00:00+01:00"},
        headers=world.h("agent"),
    )
    assert [(s["user"], s["source"]) for s in r.json()] == [
        ("agent@example.com", "week"),
        ("admin@example.com", "override"),
        ("agent@example.com", "week"),
    ]
    listed = world.client.get("/api/v1/schedules/primary/overrides", headers=world.h("agent"))
    assert listed.json()["total"] == 1
    r = world.client.delete(
        f"/api/v1/schedules/primary/overrides/{override['id']}", headers=world.h("manager")
    )
    assert r.status_code == 204
    r = world.client.get(
        "/api/v1/oncall",
        params={"schedule": "primary", "at": "2026-03-02T13:00:00+01:00"},
        headers=world.h("agent"),
    )
    assert r.json()["items"][0]["on_call"][0]["user"] == "agent@example.com"


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"time_zone": "Mars/Olympus"}, "'Mars/Olympus' is not a known time zone"),
        ({"layers": []}, "a schedule needs at least one layer"),
        ({"layers": [{**SCHEDULE["layers"][0], "users": []}]}, "at least one user"),
        ({"layers": [{**SCHEDULE["layers"][0], "handoff": "9am"}]}, "'9am' is not a time of day"),
        (
            {"layers": [{**SCHEDULE["layers"][0], "users": ["nobody@example.com"]}]},
            "There is no user nobody@example.com.",
        ),
        (
            {"layers": [{**SCHEDULE["layers"][0], "users": ["alice@acme.test"]}]},
            "alice@acme.test belongs to customer acme",
        ),
        (
            {"layers": [{**SCHEDULE["layers"][0], "start": "2026-03-02T09:00:00"}]},
            "needs a time zone",
        ),
    ],
)
def test_schedule_validation_sentences(world: World, change: dict[str, Any], sentence: str) -> None:
    r = world.client.post(
        "/api/v1/schedules", json={**SCHEDULE, **change}, headers=world.h("admin")
    )
    assert r.status_code == 422, r.text
    assert sentence in detail(r)


def test_a_requester_of_another_customer_cannot_be_on_call(world: World) -> None:
    body = {**SCHEDULE, "customer": "acme"}
    body["layers"] = [{**SCHEDULE["layers"][0], "users": ["alice@acme.test"]}]
    r = world.client.post("/api/v1/schedules", json=body, headers=world.h("admin"))
    assert r.status_code == 422
    assert "alice@acme.test is a requester" in detail(r)


def test_override_end_before_start_is_refused(world: World) -> None:
    make_schedule(world)
    r = world.client.post(
        "/api/v1/schedules/primary/overrides",
        json={
            "user": "admin@example.com",
            "start": "2026-03-02T14:00:00Z",
            "end": "2026-03-02T12:00:00Z",
        },
        headers=world.h("admin"),
    )
    assert r.status_code == 422
    assert "an override's end must be after its start" in detail(r)


POLICY: dict[str, Any] = {
    "name": "Ops escalation",
    "slug": "ops-escalation",
    "repeat": 2,
    "levels": [
        {"delay_minutes": 10, "targets": [{"type": "schedule", "ref": "primary"}]},
        {
            "delay_minutes": 15,
            "targets": [
                {"type": "user", "ref": "manager@example.com"},
                {"type": "team", "ref": "ops"},
            ],
        },
    ],
}


def test_policy_round_trip_and_attaching_to_a_service(world: World) -> None:
    make_schedule(world)
    r = world.client.post("/api/v1/escalation-policies", json=POLICY, headers=world.h("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["levels"] == POLICY["levels"]
    assert r.json()["repeat"] == 2
    r = world.client.patch(
        "/api/v1/services/acme-web",
        json={"escalation_policy": "ops-escalation"},
        headers=world.h("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["escalation_policy"] == "ops-escalation"
    r = world.client.delete("/api/v1/escalation-policies/ops-escalation", headers=world.h("admin"))
    assert r.status_code == 409
    assert "service acme-web" in detail(r)
    r = world.client.delete("/api/v1/schedules/primary", headers=world.h("admin"))
    assert r.status_code == 409
    assert "ops-escalation" in detail(r)
    world.client.patch(
        "/api/v1/services/acme-web", json={"escalation_policy": None}, headers=world.h("admin")
    )
    assert (
        world.client.delete(
            "/api/v1/escalation-policies/ops-escalation", headers=world.h("admin")
        ).status_code
        == 204
    )
    assert (
        world.client.delete("/api/v1/schedules/primary", headers=world.h("admin")).status_code
        == 204
    )


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"levels": []}, "an escalation policy needs at least one level"),
        ({"levels": [{"delay_minutes": 5, "targets": []}]}, "a level needs at least one target"),
        ({"levels": [{"delay_minutes": -1, "targets": [{"type": "team", "ref": "ops"}]}]}, "0"),
        (
            {"levels": [{"delay_minutes": 5, "targets": [{"type": "schedule", "ref": "nope"}]}]},
            "There is no schedule 'nope'",
        ),
        (
            {"levels": [{"delay_minutes": 5, "targets": [{"type": "team", "ref": "nope"}]}]},
            "There is no team 'nope' for customer",
        ),
        (
            {"levels": [{"delay_minutes": 5, "targets": [{"type": "user", "ref": "x@y.test"}]}]},
            "There is no user x@y.test.",
        ),
    ],
)
def test_policy_validation_sentences(world: World, change: dict[str, Any], sentence: str) -> None:
    r = world.client.post(
        "/api/v1/escalation-policies", json={**POLICY, **change}, headers=world.h("admin")
    )
    assert r.status_code == 422, r.text
    assert sentence in detail(r)


def test_unknown_policy_on_a_service_is_a_sentence(world: World) -> None:
    r = world.client.patch(
        "/api/v1/services/acme-web", json={"escalation_policy": "nope"}, headers=world.h("admin")
    )
    assert r.status_code == 422
    assert detail(r) == "There is no escalation policy 'nope' for customer acme."


def test_tenants_see_only_their_own_schedules(world: World) -> None:
    for slug, customer, user in (
        ("globex-nights", "globex", "agent@globex.test"),
        ("acme-days", "acme", "agent@acme.test"),
    ):
        layer = {**SCHEDULE["layers"][0], "users": [user]}
        make_schedule(world, {**SCHEDULE, "slug": slug, "customer": customer, "layers": [layer]})
    listed = world.client.get("/api/v1/schedules", headers=world.h("acme_agent")).json()
    assert [s["slug"] for s in listed["items"]] == ["acme-days"]
    r = world.client.get("/api/v1/schedules/globex-nights", headers=world.h("acme_agent"))
    assert r.status_code == 404
    r = world.client.get("/api/v1/oncall", headers=world.h("acme_agent"))
    assert [i["schedule"] for i in r.json()["items"]] == ["acme-days"]
    r = world.client.get("/api/v1/oncall?schedule=globex-nights", headers=world.h("acme_agent"))
    assert r.status_code == 404
    # acme's admin cannot put globex's agent on acme's schedule
    r = world.client.post(
        "/api/v1/schedules",
        json={
            **SCHEDULE,
            "slug": "x",
            "layers": [{**SCHEDULE["layers"][0], "users": ["agent@globex.test"]}],
        },
        headers=world.h("acme_admin"),
    )
    assert r.status_code == 422
    assert detail(r) == "There is no user agent@globex.test."
    everyone = world.client.get("/api/v1/oncall", headers=world.h("admin")).json()
    assert {i["schedule"] for i in everyone["items"]} == {"acme-days", "globex-nights"}


def test_requesters_are_refused(world: World) -> None:
    make_schedule(world)
    for path in ("/api/v1/schedules", "/api/v1/oncall", "/api/v1/escalation-policies"):
        r = world.client.get(path, headers=world.h("requester"))
        assert r.status_code == 403, path


def test_schedule_feed_parses_and_has_the_shifts(world: World) -> None:
    made = make_schedule(world)
    path = made["ical_url"].split("://", 1)[1].split("/", 1)[1]
    r = world.client.get("/" + path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(r.content).walk("VEVENT")
    assert len(events) >= 90
    first = events[0]
    assert str(first["summary"]) == "On call: agent@example.com"
    assert first.decoded("dtstart") == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert first.decoded("dtend") == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    again = Calendar.from_ical(world.client.get("/" + path).content).walk("VEVENT")
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in events]
    assert len({str(e["uid"]) for e in events}) == len(events)


def test_user_feed_has_only_that_users_shifts(world: World) -> None:
    make_schedule(world)
    r = world.client.get("/api/v1/oncall?schedule=primary", headers=world.h("agent"))
    url = r.json()["items"][0]["on_call"][0]["ical_url"]
    feed = world.client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert events
    assert all(str(e["summary"]) == "On call: Primary" for e in events)
    # the agent has every other day, at 09:00 in Berlin across the change to summer time
    berlin = ZoneInfo("Europe/Berlin")
    starts = [e.decoded("dtstart").astimezone(berlin) for e in events]
    assert {s.hour for s in starts} == {9}
    starts = [s.date() for s in starts]
    assert all((b - a).days == 2 for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(
    "path", ["/ical/schedules/nonsense.ics", "/ical/users/eyJzIjoxfQ.forged.ics"]
)
def test_a_bad_feed_token_answers_404(world: World, path: str) -> None:
    make_schedule(world)
    assert world.client.get(path).status_code == 404


def test_a_schedule_token_does_not_open_a_user_feed(world: World) -> None:
    made = make_schedule(world)
    token = made["ical_url"].rsplit("/", 1)[1]
    assert world.client.get(f"/ical/users/{token}").status_code == 404
