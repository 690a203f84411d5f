"""The SLA pages: policies and calendars with their CSVs, the create forms (sentences
beside the fields, values kept), and "SLA now" counting running clocks at risk."""

from __future__ import annotations

import csv
import html
import io
from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.incidents.schemas import IncidentIn
from tocsin.sla.events import IncidentEventView

from .conftest import World, sqlite_only
from .test_console_input import sign_in


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the pages; the services they call are tested on
    PostgreSQL too in their own modules."""
    return sqlite_only(request, tmp_path, sqlite_template)


POLICY_FORM = {
    "name": "Gold P2",
    "slug": "gold-p2",
    "priority": "2",
    "response_minutes": "30",
    "resolution_minutes": "480",
    "calendar": "office",
    "warn_at": "80%",
}


def test_the_sla_page_shows_policies_and_calendars(world: World) -> None:
    sign_in(world, "viewer")
    r = world.client.get("/sla")
    assert r.status_code == 200, r.text
    assert "/sla/policies/p1" in r.text
    assert "15 min" in r.text
    assert "4 h" in r.text
    assert "/sla/calendars/office?customer=default" in r.text
    assert "Mon</span> 09:00-17:00" in r.text
    assert "No running SLA clock is at risk or breached." in r.text
    assert "New SLA policy" not in r.text  # a viewer cannot create
    r = world.client.get("/sla/calendars/office?customer=default")
    assert "Europe/Berlin" in r.text
    assert "Not worked" in r.text


def test_a_policy_is_created_through_the_form(world: World) -> None:
    csrf = sign_in(world, "admin")
    r = world.client.post(
        "/sla/policies", data={"csrf_token": csrf, **POLICY_FORM}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    page = world.client.get(r.headers["location"])
    assert "SLA policy created." in page.text
    made = world.app.sla.policies.get(world.principals["admin"], "gold-p2")
    assert (made.priority, made.calendar, made.warn_at) == (2, "office", 0.8)


def test_a_wrong_policy_form_is_shown_again(world: World) -> None:
    csrf = sign_in(world, "admin")
    form = {"csrf_token": csrf, **POLICY_FORM, "response_minutes": "soon", "resolution_minutes": ""}
    r = world.client.post("/sla/policies", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert 'value="soon"' in r.text
    assert 'value="Gold P2"' in r.text
    assert "This field is required." in r.text
    assert "valid integer" in r.text
    assert world.app.sla.policies.list(world.principals["admin"]).total == 1


def test_an_agent_may_not_create_a_policy(world: World) -> None:
    csrf = sign_in(world, "agent")
    assert world.client.get("/sla/policies/new").status_code == 403
    r = world.client.post("/sla/policies", data={"csrf_token": csrf, **POLICY_FORM})
    assert r.status_code == 403
    assert world.app.sla.policies.list(world.principals["admin"]).total == 1


def test_a_calendar_is_created_and_wrong_hours_are_named(world: World) -> None:
    csrf = sign_in(world, "admin")
    form = {
        "csrf_token": csrf,
        "slug": "berlin",
        "time_zone": "Europe/Berlin",
        "hours_mon": "08:00-12:00, 13:00-17:00",
        "hours_tue": "nine to five",
        "holidays_country": "DE-BE",
    }
    r = world.client.post("/sla/calendars", data=form)
    assert r.status_code == 422
    assert "“nine to five” is not a span of hours" in r.text
    assert 'value="08:00-12:00, 13:00-17:00"' in r.text
    r = world.client.post(
        "/sla/calendars", data={**form, "hours_tue": "", "holidays_country": "XX"}
    )
    assert r.status_code == 422
    assert "'XX' is not a country" in html.unescape(r.text)
    r = world.client.post(
        "/sla/calendars", data={**form, "hours_tue": "09:00-17:00"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    made = world.app.sla.calendars.get(world.principals["admin"], "berlin")
    assert made.hours == {"mon": ["08:00", "12:00", "13:00", "17:00"], "tue": ["09:00", "17:00"]}
    assert made.holidays == "DE-BE"


def test_the_csvs(world: World) -> None:
    sign_in(world, "viewer")
    rows = list(
        csv.reader(io.StringIO(world.client.get("/sla/policies.csv").content.decode("utf-8-sig")))
    )
    assert rows[0][:3] == ["slug", "name", "priority"]
    assert rows[1][:8] == ["p1", "P1", "1", "all", "", "24x7", "15", "240"]
    rows = list(
        csv.reader(io.StringIO(world.client.get("/sla/calendars.csv").content.decode("utf-8-sig")))
    )
    assert rows == [
        ["slug", "name", "customer", "time_zone", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
         "holidays"],
        ["office", "office", "default", "Europe/Berlin", "09:00-17:00", "", "", "", "", "", "",
         ""],
    ]  # fmt: skip


def test_sla_now_counts_the_clocks_at_risk_and_breached(world: World) -> None:
    app = world.app
    incident = app.incidents.create(
        world.principals["admin"],
        IncidentIn.model_validate(
            {"title": "Checkout down", "requester": "alice@acme.test", "customer": "acme",
             "priority": 1, "priority_reason": "outage"}
        ),
    )  # fmt: skip
    with app.db.unit_of_work() as uow:
        app.sla.apply(
            uow,
            IncidentEventView(
                incident_id=incident.id,
                action="incident.created",
                at=app.clock.now(),
                changes={"state": [None, "new"]},
                customer_id=world.principals["acme_agent"].customer_id,
                service_id=None,
                priority=1,
                state="new",
                hold_reason=None,
            ),
        )
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    sign_in(world, "viewer")
    clock.advance(timedelta(minutes=13))  # past the warning share of the 15-minute response
    now = world.client.get("/sla").text.split("SLA now", 1)[1].split("</section>", 1)[0]
    assert '<span class="big">1</span> at risk' in now
    assert '<span class="big">0</span> breached' in now
    assert f"/incidents/{incident.number}" in now
    clock.advance(timedelta(minutes=5))
    now = world.client.get("/sla").text.split("SLA now", 1)[1].split("</section>", 1)[0]
    assert '<span class="big">1</span> breached' in now
    # another customer's agent sees none of it
    sign_in(world, "globex_agent")
    assert '<span class="big">0</span> breached' in world.client.get("/sla").text
