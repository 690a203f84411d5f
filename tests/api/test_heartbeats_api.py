"""Heartbeats over HTTP: created like any integration, pinged by POST or GET, an incident
opened by the engine when a ping is missed and resolved by the next ping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tocsin.core.clock import FrozenClock
from tocsin.workers.engine import Engine

from .conftest import World


def create(world: World, **config: object) -> dict[str, Any]:
    r = world.client.post(
        "/api/v1/integrations",
        headers=world.h("admin"),
        json={
            "type": "heartbeat",
            "name": "nightly-backup",
            "service": "acme-web",
            "config": config,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def clock(world: World) -> FrozenClock:
    assert isinstance(world.app.clock, FrozenClock)
    return world.app.clock


def heartbeat_incidents(world: World) -> list[dict[str, Any]]:
    r = world.client.get(
        "/api/v1/incidents", headers=world.h("admin"), params={"service": "acme-web"}
    )
    assert r.status_code == 200, r.text
    return [i for i in r.json()["items"] if i["title"].startswith("Heartbeat")]


def test_create_answers_the_key_ping_url_and_state_once(world: World) -> None:
    body = create(world, interval_minutes=5)
    assert body["type"] == "heartbeat"
    assert body["config"]["interval_minutes"] == 5
    assert body["config"]["grace_minutes"] == 1
    assert body["ping_url"] == f"http://127.0.0.1:8000/api/v1/heartbeats/{body['key']}"
    assert body["heartbeat"]["state"] == "waiting"
    shown = world.client.get(f"/api/v1/integrations/{body['id']}", headers=world.h("admin"))
    assert "key" not in shown.json()
    assert shown.json()["ping_url"].endswith("/api/v1/heartbeats/<key>")


def test_ping_by_post_and_by_get(world: World) -> None:
    key = create(world, interval_minutes=10)["key"]
    r = world.client.post(f"/api/v1/heartbeats/{key}")
    assert r.status_code == 200, r.text
    due = clock(world).now() + timedelta(minutes=10)
    assert r.json() == {"status": "ok", "next_due_at": due.isoformat().replace("+00:00", "Z")}
    clock(world).advance(minutes=3)
    r = world.client.get(f"/api/v1/heartbeats/{key}")  # curl -fsS from a cron job
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["next_due_at"]) == clock(world).now() + timedelta(
        minutes=10
    )


def test_a_missed_ping_opens_an_incident_on_the_service_until_the_next_ping(
    world: World,
) -> None:
    created = create(world, interval_minutes=5, grace_minutes=2)
    engine = Engine(world.app, holder="api-test")
    clock(world).advance(minutes=7, seconds=1)
    assert engine.tick()["heartbeats"] == 1
    (incident,) = heartbeat_incidents(world)
    assert incident["title"] == "Heartbeat nightly-backup missed: never pinged"
    assert incident["customer"] == "acme"
    assert incident["priority"] == 1
    assert engine.tick()["heartbeats"] == 0
    assert len(heartbeat_incidents(world)) == 1
    shown = world.client.get(f"/api/v1/integrations/{created['id']}", headers=world.h("admin"))
    assert shown.json()["heartbeat"]["state"] == "down"
    alerts = world.client.get(
        "/api/v1/alerts", headers=world.h("admin"), params={"dedup_key": "heartbeat"}
    ).json()["items"]
    assert [a["labels"] for a in alerts] == [{"heartbeat": "nightly-backup"}]

    assert world.client.get(f"/api/v1/heartbeats/{created['key']}").status_code == 200
    (incident,) = heartbeat_incidents(world)
    assert incident["state"] == "resolved"
    shown = world.client.get(f"/api/v1/integrations/{created['id']}", headers=world.h("admin"))
    assert shown.json()["heartbeat"]["state"] == "up"


def test_an_unknown_key_is_refused_with_a_sentence(world: World) -> None:
    for method in ("GET", "POST"):
        r = world.client.request(method, "/api/v1/heartbeats/not-a-key")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "There is no heartbeat with this key" in r.json()["detail"]


def test_the_key_of_another_type_is_refused_both_ways(world: World) -> None:
    generic_key = world.extra["integration_key"]
    r = world.client.post(f"/api/v1/heartbeats/{generic_key}")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "belongs to a generic integration, not a heartbeat" in r.json()["detail"]
    # and a heartbeat's key is no alert sender's key
    key = create(world, interval_minutes=5)["key"]
    r = world.client.post(
        "/api/v1/ingest/generic", headers={"Authorization": f"Bearer {key}"}, json={"summary": "s"}
    )
    assert r.status_code == 400
    assert "belongs to a heartbeat integration" in r.json()["detail"]


def test_a_disabled_heartbeat_answers_403(world: World) -> None:
    created = create(world, interval_minutes=5)
    r = world.client.patch(
        f"/api/v1/integrations/{created['id']}", headers=world.h("admin"), json={"enabled": False}
    )
    assert r.status_code == 200, r.text
    r = world.client.get(f"/api/v1/heartbeats/{created['key']}")
    assert r.status_code == 403
    assert "is disabled" in r.json()["detail"]


def test_the_interval_is_validated(world: World) -> None:
    def refused(body: dict[str, Any]) -> str:
        r = world.client.post("/api/v1/integrations", headers=world.h("admin"), json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        return r.text

    hb = {"type": "heartbeat", "name": "hb", "service": "acme-web"}
    assert "needs config.interval_minutes" in refused(hb)
    assert "interval_minutes" in refused({**hb, "config": {"interval_minutes": 0}})
    assert "interval_minutes" in refused({**hb, "config": {"interval_minutes": 10081}})
    assert "grace_minutes" in refused({**hb, "config": {"interval_minutes": 5, "grace_minutes": 0}})
    assert "heartbeat integrations only" in refused(
        {"type": "generic", "name": "g", "config": {"interval_minutes": 5}}
    )
    listed = world.client.get("/api/v1/integrations", headers=world.h("admin")).json()
    assert [i["name"] for i in listed["items"]] == ["acme-monitoring"]  # nothing half-made
