"""The on-call console pages: who is on call now and next (overrides included), the
schedule's calendar across a DST change, the override form, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tocsin.auth.schemas import UserPatch

from .conftest import World, sqlite_only
from .test_console_input import sign_in
from .test_oncall_api import SCHEDULE, make_schedule


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


# The clock stands at Mon 2 Mar 2026 09:00 UTC (10:00 in Berlin): the daily rotation's
# first day, agent@ on call until Tue 09:00 Berlin, manager@ next.
OVERRIDE = {"user": "admin@example.com", "start": "2026-03-02T08:30", "end": "2026-03-02T12:00"}


def on_call_now(html: str) -> list[str]:
    """The e-mails the page names as on call now."""
    person = r'class="oncall-person"><strong>[^<]*</strong> <span class="muted">([^<]+)<'
    return re.findall(person, html)


def first_day(html: str) -> list[str]:
    """The calendar's first day as the lines a reader sees."""
    day = html.split('class="day-shifts"', 1)[1].split("</ul>", 1)[0]
    items = [re.sub(r"<[^>]+>", "", item) for item in day.split("<li")[1:]]
    return [" ".join(item.split(">", 1)[1].split()) for item in items]


def add_override(world: World, csrf: str, **fields: str) -> Any:
    form = {"csrf_token": csrf, "customer": "default", **OVERRIDE, **fields}
    return world.client.post(
        "/oncall/schedules/primary/overrides", data=form, follow_redirects=False
    )


def test_the_overview_names_who_is_on_call_now_and_next(world: World) -> None:
    make_schedule(world)
    sign_in(world, "manager")
    r = world.client.get("/oncall")
    assert r.status_code == 200, r.text
    assert on_call_now(r.text) == ["agent@example.com"]
    assert "2026-03-03 08:00 UTC" in r.text  # until, and when manager@ is next
    next_cell = r.text.split("2026-03-03 08:00 UTC", 1)[1]
    assert "manager@example.com" in next_cell
    # the manager's own shifts in the next 14 days: every other day
    mine = r.text.split("My on-call shifts", 1)[1]
    assert mine.count("/oncall/schedules/primary?customer=default") == 7


def test_an_override_added_in_the_form_is_who_is_on_call(world: World) -> None:
    make_schedule(world)
    csrf = sign_in(world, "admin")
    r = add_override(world, csrf)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("ok=override_added#overrides")
    page = world.client.get(r.headers["location"].split("#")[0])
    assert "Override added" in page.text
    assert on_call_now(page.text) == ["admin@example.com"]
    assert on_call_now(world.client.get("/oncall").text) == ["admin@example.com"]
    # the calendar's first day: agent, the override, agent again (UTC viewer)
    assert first_day(page.text) == [
        "08:00\u201308:30 agent@example.com",  # the layer starts at 09:00 Berlin
        "08:30\u201312:00 admin@example.com override",
        "12:00\u201324:00 agent@example.com",
        "Gaps: nobody on call part of the day",
    ]


def test_an_override_is_deleted_through_its_button(world: World) -> None:
    make_schedule(world)
    csrf = sign_in(world, "admin")
    assert add_override(world, csrf).status_code == 303
    [made] = world.app.oncall.list_overrides(world.principals["admin"], "primary").items
    r = world.client.post(
        f"/oncall/schedules/primary/overrides/{made.id}/delete",
        data={"csrf_token": csrf, "customer": "default"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert world.app.oncall.list_overrides(world.principals["admin"], "primary").total == 0
    assert on_call_now(world.client.get("/oncall").text) == ["agent@example.com"]


def test_a_wrong_override_is_shown_again_with_sentences(world: World) -> None:
    make_schedule(world)
    csrf = sign_in(world, "admin")
    r = add_override(world, csrf, end="2026-03-02T08:00")
    assert r.status_code == 422, r.text
    assert "end must be after its start" in r.text
    assert 'value="admin@example.com"' in r.text
    assert 'value="2026-03-02T08:30"' in r.text
    r = add_override(world, csrf, start="next tuesday", user="")
    assert r.status_code == 422
    assert "“next tuesday” is not a date and time" in r.text
    assert "This field is required." in r.text
    r = add_override(world, csrf, user="viewer@example.com")
    assert r.status_code == 422
    assert "viewer@example.com is a viewer; only admins, managers and agents can" in r.text
    assert world.app.oncall.list_overrides(world.principals["admin"], "primary").total == 0


def test_an_agent_sees_no_override_form_and_is_refused(world: World) -> None:
    make_schedule(world)
    csrf = sign_in(world, "agent")
    page = world.client.get("/oncall/schedules/primary")
    assert page.status_code == 200
    assert "Add override" not in page.text
    r = add_override(world, csrf)
    assert r.status_code == 403, r.text
    r = add_override(world, "not-the-token")
    assert r.status_code == 403
    assert "CSRF" in r.text
    assert world.app.oncall.list_overrides(world.principals["admin"], "primary").total == 0


def test_the_calendar_keeps_the_hand_off_at_local_time_across_dst(world: World) -> None:
    make_schedule(world)
    world.app.auth.patch_user(
        world.principals["admin"], "viewer@example.com", UserPatch(time_zone="Europe/Berlin")
    )
    sign_in(world, "viewer")
    # Berlin moves to summer time on Sun 29 Mar 2026: a 23-hour day, hand-off still 09:00
    r = world.client.get("/oncall/schedules/primary?from=2026-03-29")
    assert r.status_code == 200, r.text
    assert "Calendar from 2026-03-29 (Europe/Berlin)" in r.text
    assert first_day(r.text) == [
        "00:00\u201309:00 agent@example.com",
        "09:00\u201324:00 manager@example.com",
    ]
    assert "?customer=default&amp;from=2026-04-05" in r.text  # next week
    bad = world.client.get("/oncall/schedules/primary?from=soon")
    assert bad.status_code == 422
    assert "“soon” is not a date; write it as YYYY-MM-DD" in bad.text


def test_the_layers_are_described_in_words(world: World) -> None:
    body = {
        **SCHEDULE,
        "layers": [
            {
                **SCHEDULE["layers"][0],
                "restrictions": [{"days": ["mon", "tue"], "start": "18:00", "end": "08:00"}],
            }
        ],
    }
    make_schedule(world, body)
    sign_in(world, "viewer")
    r = world.client.get("/oncall/schedules/primary")
    assert "Daily, hand-off at 09:00 (Europe/Berlin)" in r.text
    assert "Mon, Tue 18:00\u201308:00 (next day)" in r.text
    assert "/ical/schedules/" in r.text


def test_the_csv_lists_the_next_14_days_of_shifts(world: World) -> None:
    make_schedule(world)
    sign_in(world, "viewer")
    r = world.client.get("/oncall.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["schedule", "customer", "user", "start", "end", "source"]
    assert rows[1] == [
        "primary",
        "default",
        "agent@example.com",
        "2026-03-02T09:00:00+00:00",
        "2026-03-03T08:00:00+00:00",
        "week",
    ]
    assert len(rows) == 1 + 15  # 14 days from 09:00 cut 15 daily shifts
    assert {row[2] for row in rows[1:]} == {"agent@example.com", "manager@example.com"}


def test_a_requester_is_sent_to_the_portal(world: World) -> None:
    sign_in(world, "requester")
    r = world.client.get("/oncall", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/portal"


SCHEDULE_FORM = {
    "name": "Database on-call",
    "slug": "dba",
    "time_zone": "Europe/Berlin",
    "layer_name": "Weekly",
    "layer_start": "2026-03-02T09:00",
    "rotation": "weekly",
    "handoff": "09:00",
    "users": "agent@example.com\nmanager@example.com",
}


def test_a_schedule_of_one_layer_is_created_through_the_form(world: World) -> None:
    csrf = sign_in(world, "admin")
    assert world.client.get("/oncall/schedules/new").status_code == 200
    bad = {**SCHEDULE_FORM, "users": "agent@example.com\nviewer@example.com", "slug": "Not ok"}
    r = world.client.post("/oncall/schedules", data={"csrf_token": csrf, **bad})
    assert r.status_code == 422, r.text
    assert "agent@example.com\nviewer@example.com</textarea>" in r.text
    assert 'value="Database on-call"' in r.text
    r = world.client.post(
        "/oncall/schedules",
        data={"csrf_token": csrf, **SCHEDULE_FORM, "users": "agent@example.com viewer@example.com"},
    )
    assert r.status_code == 422
    assert "viewer@example.com is a viewer" in r.text
    r = world.client.post(
        "/oncall/schedules", data={"csrf_token": csrf, **SCHEDULE_FORM}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    made = world.app.oncall.get_schedule(world.principals["admin"], "dba")
    [layer] = made.layers
    assert (layer.rotation, layer.handoff) == ("weekly", "09:00")
    assert layer.users == ["agent@example.com", "manager@example.com"]
    assert layer.start.isoformat() == "2026-03-02T08:00:00+00:00"  # 09:00 in Berlin
    assert "Schedule created." in world.client.get(r.headers["location"]).text


def test_an_agent_may_not_create_a_schedule(world: World) -> None:
    csrf = sign_in(world, "agent")
    assert world.client.get("/oncall/schedules/new").status_code == 403
    r = world.client.post("/oncall/schedules", data={"csrf_token": csrf, **SCHEDULE_FORM})
    assert r.status_code == 403
    assert world.app.oncall.list_schedules(world.principals["admin"]).total == 0
