"""The senders' routes are answered before FastAPI (web.front): they must still get what the
middleware gives every other request — limits, metrics, the log, a 500 problem."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tocsin.alerts.schemas import IntegrationIn

from .conftest import World, post_in_pieces


def _key(world: World, kind: str) -> str:
    created = world.app.integrations.create(
        world.principals["admin"], IntegrationIn(type=kind, name=f"{kind}-front")
    )
    return created.key


def _count(world: World, route: str, status: int, method: str = "POST") -> float:
    metrics = world.client.get("/metrics").text
    labels = f'method="{method}",route="{route}",status="{status}"'
    pattern = r"tocsin_http_requests_total\{" + re.escape(labels) + r"\} ([\d.]+)"
    found = re.search(pattern, metrics)
    return float(found.group(1)) if found else 0.0


def _alert_count(world: World) -> int:
    r = world.client.get("/api/v1/alerts", headers=world.h("admin"))
    return len(r.json()["items"])


def test_sender_requests_are_counted_and_timed_by_route(world: World) -> None:
    key = _key(world, "opsgenie")
    headers = {"Authorization": f"GenieKey {key}"}
    before = _count(world, "/v2/alerts", 202)
    r = world.client.post(
        "/v2/alerts", json={"message": "Disk full", "alias": "d1"}, headers=headers
    )
    assert r.status_code == 202, r.text
    r = world.client.post("/v2/alerts/d1/close?identifierType=alias", json={}, headers=headers)
    assert r.status_code == 202, r.text
    assert _count(world, "/v2/alerts", 202) == before + 1
    assert _count(world, "/v2/alerts/{identifier}/{action}", 202) == 1
    latency = world.client.get("/metrics").text
    assert 'tocsin_http_request_duration_seconds_count{method="POST",route="/v2/alerts"}' in latency


def test_sender_requests_are_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    key = _key(world, "generic")
    with caplog.at_level(logging.INFO, logger="tocsin.http"):
        r = world.client.post(f"/api/v1/ingest/generic?key={key}", json={"summary": "Disk full"})
    assert r.status_code == 202, r.text
    logged = [rec for rec in caplog.records if rec.name == "tocsin.http"]
    assert [(rec.__dict__["path"], rec.__dict__["status"]) for rec in logged] == [
        ("/api/v1/ingest/generic", 202)
    ]


def test_a_declared_body_over_the_limit_is_refused_unread(world: World) -> None:
    key = _key(world, "generic")
    sent = post_in_pieces(
        world,
        "/api/v1/ingest/generic",
        [],  # nothing is read: the declared length is enough
        headers=[(b"authorization", f"Bearer {key}".encode()), (b"content-length", b"2000000")],
    )
    assert sent[0]["status"] == 413
    body = json.loads(sent[1]["body"])
    assert body["title"] == "Payload too large"
    assert "1024 KB" in body["detail"]
    assert _alert_count(world) == 0


def test_a_streamed_body_over_the_limit_is_refused_and_nothing_stored(world: World) -> None:
    key = _key(world, "generic")
    piece = b" " * (256 * 1024)
    pieces = [{"type": "http.request", "body": b'{"summary": "x"', "more_body": True}]
    pieces += [{"type": "http.request", "body": piece, "more_body": True} for _ in range(5)]
    pieces += [{"type": "http.request", "body": b"}", "more_body": False}]
    before = _count(world, "/api/v1/ingest/generic", 413)
    sent = post_in_pieces(
        world,
        "/api/v1/ingest/generic",
        pieces,
        headers=[(b"authorization", f"Bearer {key}".encode())],
    )
    assert sent[0]["status"] == 413
    assert _alert_count(world) == 0
    assert _count(world, "/api/v1/ingest/generic", 413) == before + 1


def test_a_nul_in_the_query_is_refused(world: World) -> None:
    r = world.client.post("/api/v1/ingest/generic?key=a%00b", json={"summary": "x"})
    assert r.status_code == 400
    assert "NUL" in r.json()["detail"]


def test_a_sender_that_hangs_up_mid_body_stores_nothing(world: World) -> None:
    key = _key(world, "generic")
    sent = post_in_pieces(
        world,
        "/api/v1/ingest/generic",
        [{"type": "http.request", "body": b'{"summary": ', "more_body": True}],
        headers=[(b"authorization", f"Bearer {key}".encode())],
    )
    assert sent == []  # nobody to answer
    assert _alert_count(world) == 0
    assert _count(world, "/api/v1/ingest/generic", 499) == 1


def test_a_sender_path_with_another_method_goes_to_the_api(world: World) -> None:
    r = world.client.get("/v2/enqueue")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")


def test_an_unforeseen_error_answers_500_problem_and_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    key = _key(world, "generic")

    def broken(items: list[Any]) -> list[Any]:
        raise RuntimeError("the disk is full")

    world.app.alerts.loop_writer.write = broken
    with caplog.at_level(logging.ERROR):
        r = world.client.post(
            "/api/v1/ingest/generic",
            json={"summary": "x"},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Internal error"
    assert "nothing was changed" in r.json()["detail"]
    assert _count(world, "/api/v1/ingest/generic", 500) == 1
    assert any("the disk is full" in (rec.exc_text or "") for rec in caplog.records)
