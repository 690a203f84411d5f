"""Opsgenie's request status (`GET /v2/alerts/requests/{requestId}`) after create, close
and acknowledge, on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tocsin.alerts.requests import AlertRequest
from tocsin.alerts.schemas import IntegrationIn
from tocsin.core.clock import FrozenClock
from tocsin.workers.engine import Engine, default_modules

from .conftest import World


def _integration(world: World, name: str) -> dict[str, str]:
    created = world.app.integrations.create(
        world.principals["admin"], IntegrationIn(type="opsgenie", name=name, service="acme-web")
    )
    return {"Authorization": f"GenieKey {created.key}"}


def _status(world: World, request_id: str, headers: dict[str, str]) -> tuple[int, Any]:
    r = world.client.get(f"/v2/alerts/requests/{request_id}", headers=headers)
    return r.status_code, r.json()


def test_request_status_after_create_close_and_acknowledge(world: World) -> None:
    genie = _integration(world, "opsgenie-a")
    created = world.client.post(
        "/v2/alerts", json={"message": "Disk full on db1", "alias": "db1-disk"}, headers=genie
    ).json()
    status, body = _status(world, created["requestId"], genie)
    assert status == 200, body
    data = body["data"]
    assert data["success"] is True
    assert data["isSuccess"] is True
    assert data["action"] == "Create"
    assert data["status"] == "Created alert"
    assert data["alias"] == "db1-disk"
    alert = world.client.get("/api/v1/alerts?dedup_key=db1-disk", headers=world.h("admin"))
    assert data["alertId"] == str(alert.json()["items"][0]["id"])
    assert data["processedAt"].endswith("Z")
    assert body["requestId"] != created["requestId"]  # every answer has its own id

    acked = world.client.post(
        "/v2/alerts/db1-disk/acknowledge?identifierType=alias", json={}, headers=genie
    ).json()
    status, body = _status(world, acked["requestId"], genie)
    assert (status, body["data"]["action"]) == (200, "Acknowledge")
    assert body["data"]["status"] == "Acknowledged alert"

    closed = world.client.post(
        f"/v2/alerts/{data['alertId']}/close", json={"note": "fixed"}, headers=genie
    ).json()
    status, body = _status(world, closed["requestId"], genie)
    assert body["data"]["action"] == "Close"
    assert body["data"]["status"] == "Closed alert"
    assert body["data"]["alertId"] == data["alertId"]

    # closing an alert that is not there: recorded, and reported as failed
    missing = world.client.post(
        "/v2/alerts/nothing-here/close?identifierType=alias", json={}, headers=genie
    ).json()
    status, body = _status(world, missing["requestId"], genie)
    assert status == 200
    assert body["data"]["isSuccess"] is False
    assert body["data"]["status"] == "Alert does not exist"


def test_unknown_request_other_integration_and_expiry(world: World) -> None:
    genie, other = _integration(world, "og-1"), _integration(world, "og-2")
    created = world.client.post("/v2/alerts", json={"message": "m"}, headers=genie).json()
    status, body = _status(world, "0f5c8a36-0000-4000-8000-000000000000", genie)
    assert status == 404
    assert body["message"] == "Request not found"
    assert set(body) == {"message", "took", "requestId"}
    # another integration (another team's key) cannot read it
    assert _status(world, created["requestId"], other)[0] == 404
    r = world.client.get(
        f"/v2/alerts/requests/{created['requestId']}", headers={"Authorization": "GenieKey no"}
    )
    assert r.status_code == 401
    assert _status(world, created["requestId"], genie)[0] == 200
    clock = world.app.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=7, minutes=1))
    assert _status(world, created["requestId"], genie)[0] == 404
    # the engine's module deletes what expired
    world.client.post("/v2/alerts", json={"message": "later"}, headers=genie)
    duty = [m for m in default_modules(world.app) if m.name == "alert_requests"]
    assert Engine(world.app, modules=duty, paging=[]).tick() == {"alert_requests": 1}
    with world.app.db.read() as s:
        assert s.scalar(select(func.count(AlertRequest.id))) == 1
