"""/metrics: operational figures for anyone who reaches it; business figures (about the
customers' incidents) only with the metrics token, which is never taken for an API token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tocsin.bootstrap import build
from tocsin.core.clock import FrozenClock
from tocsin.settings import Settings
from tocsin.web.app import create_app

from .conftest import World

TOKEN = "metrics-token-for-the-scraper"
OPERATIONAL = (
    "tocsin_http_requests_total",
    "tocsin_http_request_duration_seconds",
    "tocsin_ingest_committed_alerts",
    "tocsin_ingest_committed_batches",
)


@pytest.fixture
def scraped(world: World, settings: Settings, clock: FrozenClock) -> Iterator[TestClient]:
    """The same database, served by a process configured with a metrics token."""
    app = build(settings.model_copy(update={"metrics_token": TOKEN}), clock=clock)

    def no_lookup(secret: str) -> None:
        raise AssertionError("the metrics token was looked up as an API token")

    app.auth.authenticate_token = no_lookup  # type: ignore[method-assign,assignment]
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        yield client
    app.dispose()


def _open_p1(world: World) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        headers=world.h("agent"),
        json={"title": "Everything is down", "impact": 1, "urgency": 1},
    )
    assert r.status_code == 201, r.text


def test_without_a_token_metrics_are_public_and_operational_only(world: World) -> None:
    _open_p1(world)
    r = world.client.get("/metrics")
    assert r.status_code == 200
    for name in OPERATIONAL:
        assert name in r.text
    assert "tocsin_incidents_open" not in r.text


def test_with_a_token_metrics_need_it_and_add_the_business_figures(
    world: World, scraped: TestClient
) -> None:
    _open_p1(world)
    for headers in (
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": f"Basic {TOKEN}"},
        world.h("admin"),  # a user's API token opens nothing here
    ):
        r = scraped.get("/metrics", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["content-type"] == "application/problem+json"
        assert "TOCSIN_METRICS_TOKEN" in r.json()["detail"]
        assert "tocsin_" not in r.text
    r = scraped.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    for name in OPERATIONAL:
        assert name in r.text
    assert 'tocsin_incidents_open{priority="P1"} 1.0' in r.text
    denied = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "auth.denied"}
    ).json()["items"]
    assert [d["data"]["reason"] for d in denied].count("missing or wrong metrics token") == 4
