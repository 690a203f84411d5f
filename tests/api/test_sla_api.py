"""/api/v1/calendars and /api/v1/sla-policies: shapes, validation sentences, tenants, and
the incident answering its SLA."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tocsin.sla.events import IncidentEventView

from .conftest import World

OFFICE = {
    "slug": "berlin-office",
    "name": "Berlin office",
    "time_zone": "Europe/Berlin",
    "hours": {d: ["08:00", "12:00", "13:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "DE-BE",
}


def post(world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return world.client.post(f"/api/v1/{path}", json=body, headers=world.h(who))


def test_calendar_round_trip(world: World) -> None:
    r = post(world, "admin", "calendars", OFFICE)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["hours"]["mon"] == ["08:00", "12:00", "13:00", "17:00"]
    assert body["holidays"] == "DE-BE"
    assert body["customer"] == "default"
    r = world.client.patch(
        "/api/v1/calendars/berlin-office",
        json={"holidays": ["2026-12-24", "2026-12-31"]},
        headers=world.h("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["holidays"] == ["2026-12-24", "2026-12-31"]
    listed = world.client.get("/api/v1/calendars", headers=world.h("viewer")).json()
    assert {c["slug"] for c in listed["items"]} == {"office", "berlin-office"}
    r = world.client.delete("/api/v1/calendars/berlin-office", headers=world.h("admin"))
    assert r.status_code == 204
    assert (
        world.client.get("/api/v1/calendars/berlin-office", headers=world.h("admin")).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"time_zone": "Europe/Atlantis"}, "'Europe/Atlantis' is not a known time zone"),
        ({"hours": {"mon": ["09:00"]}}, "mon needs pairs of start and end times"),
        ({"hours": {"mon": ["17:00", "09:00"]}}, "17:00-09:00 ends before it starts"),
        ({"hours": {"someday": ["09:00", "17:00"]}}, "'someday' is not a day"),
        ({"hours": {}}, "needs working hours on at least one day"),
        ({"holidays": "XX"}, "'XX' is not a country"),
        ({"holidays": ["next friday"]}, "'next friday' is not a date"),
    ],
)
def test_calendar_validation_sentences(world: World, change: dict[str, Any], sentence: str) -> None:
    r = post(world, "admin", "calendars", OFFICE | change)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert sentence in r.json()["detail"]


def policy(**fields: Any) -> dict[str, Any]:
    return {
        "name": "P2 office hours",
        "slug": "p2-office",
        "priority": 2,
        "response_minutes": 30,
        "resolution_minutes": 480,
        "calendar": "office",
    } | fields


def test_policy_round_trip(world: World) -> None:
    r = post(world, "admin", "sla-policies", policy(customer="acme", service="acme-web"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["customer"] == "acme"
    assert body["service"] == "acme-web"
    assert body["calendar"] == "office"
    assert body["warn_at"] == 0.75
    r = world.client.patch(
        "/api/v1/sla-policies/p2-office?customer=acme",
        json={"warn_at": 0.5, "escalate_on_breach": True},
        headers=world.h("manager"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["warn_at"] == 0.5
    assert r.json()["escalate_on_breach"] is True
    r = world.client.delete(
        "/api/v1/sla-policies/p2-office?customer=acme", headers=world.h("admin")
    )
    assert r.status_code == 204


@pytest.mark.parametrize(
    ("fields", "status", "sentence"),
    [
        ({"calendar": "nowhere"}, 422, "There is no calendar 'nowhere'"),
        ({"service": "nothing"}, 422, "There is no service 'nothing'"),
        ({"customer": "initech"}, 422, "There is no customer 'initech'"),
        ({"priority": 1, "slug": "other"}, 409, "The SLA policy 'p1' already covers P1"),
        ({"slug": "p1", "priority": 3}, 409, "already an SLA policy 'p1'"),
    ],
)
def test_policy_validation_sentences(
    world: World, fields: dict[str, Any], status: int, sentence: str
) -> None:
    r = post(world, "admin", "sla-policies", policy(**fields))
    assert r.status_code == status, r.text
    assert sentence in r.json()["detail"]


def test_a_calendar_in_use_is_not_deleted(world: World) -> None:
    assert post(world, "admin", "sla-policies", policy()).status_code == 201
    r = world.client.delete("/api/v1/calendars/office", headers=world.h("admin"))
    assert r.status_code == 409
    assert "used by the SLA policies p2-office" in r.json()["detail"]


def test_tenants_see_and_change_only_their_own(world: World) -> None:
    r = post(world, "acme_admin", "calendars", OFFICE | {"slug": "acme-hours"})
    assert r.status_code == 201, r.text
    assert r.json()["customer"] == "acme"
    # a tenant's policy may count in the provider's calendar, never in another tenant's
    r = post(world, "acme_admin", "sla-policies", policy(calendar="office"))
    assert r.status_code == 201, r.text
    assert r.json()["customer"] == "acme"
    assert (
        post(
            world, "admin", "calendars", OFFICE | {"slug": "globex-hours", "customer": "globex"}
        ).status_code
        == 201
    )
    r = post(
        world, "acme_admin", "sla-policies", policy(slug="x", priority=4, calendar="globex-hours")
    )
    assert r.status_code == 422
    assert "There is no calendar 'globex-hours'" in r.json()["detail"]
    r = post(world, "acme_admin", "sla-policies", policy(slug="y", priority=4, customer="globex"))
    assert r.status_code == 422
    listed = world.client.get("/api/v1/calendars", headers=world.h("acme_admin")).json()
    assert [c["slug"] for c in listed["items"]] == ["acme-hours"]
    policies = world.client.get("/api/v1/sla-policies", headers=world.h("globex_agent")).json()
    assert policies["items"] == []
    for path in ("calendars/acme-hours", "sla-policies/p2-office", "calendars/office"):
        assert (
            world.client.get(f"/api/v1/{path}", headers=world.h("globex_agent")).status_code == 404
        )
    r = world.client.patch(
        "/api/v1/calendars/acme-hours", json={"name": "x"}, headers=world.h("globex_agent")
    )
    assert r.status_code == 403
    # requesters read no configuration
    assert world.client.get("/api/v1/sla-policies", headers=world.h("requester")).status_code == 403


def test_the_incident_answers_its_sla_once_the_clocks_run(world: World) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        json={
            "requester": "alice@acme.test",
            "title": "Checkout down",
            "customer": "acme",
            "priority": 1,
            "priority_reason": "outage",
        },
        headers=world.h("admin"),
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["sla"] is None
    app = world.app
    with app.db.unit_of_work() as uow:
        app.sla.apply(
            uow,
            IncidentEventView(
                incident_id=incident["id"],
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
    for who in ("admin", "acme_agent", "requester"):
        r = world.client.get(f"/api/v1/incidents/{incident['number']}", headers=world.h(who))
        assert r.status_code == 200
        sla = r.json()["sla"]
        assert sla["policy"] == "p1"
        assert sla["state"] == "ok"
        assert sla["made_sla"] is None
        assert sla["response"]["remaining_seconds"] == 900
        assert sla["resolution"]["breached"] is False
    world.app.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
    listed = world.client.get("/api/v1/incidents?customer=acme", headers=world.h("admin")).json()
    mine = next(i for i in listed["items"] if i["id"] == incident["id"])
    assert mine["sla"]["state"] == "breached"
    assert mine["sla"]["response"]["breached"] is True
