"""Every sender end to end over HTTP, from its real captured payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_on_own_loop
from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.refusals import PER_SOURCE

from .conftest import World, post_in_pieces

SAMPLES = Path(__file__).parent.parent / "integrations" / "samples"


def sample(kind: str, name: str) -> bytes:
    return (SAMPLES / kind / name).read_bytes()


def make(world: World, kind: str, **fields: object) -> str:
    created = world.app.integrations.create(
        world.principals["admin"],
        IntegrationIn(type=kind, name=f"{kind}-test", service="acme-web", **fields),  # type: ignore[arg-type]
    )
    return created.key


def alerts(world: World, **params: str) -> list[dict[str, object]]:
    r = world.client.get("/api/v1/alerts", headers=world.h("admin"), params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def incident(world: World, number: str) -> dict[str, object]:
    return world.client.get(f"/api/v1/incidents/{number}", headers=world.h("admin")).json()  # type: ignore[no-any-return]


def with_key(raw: bytes, field: str, key: str) -> bytes:
    body = json.loads(raw)
    body[field] = key
    return json.dumps(body).encode()


# PagerDuty ------------------------------------------------------------------------------


def test_pagerduty_trigger_then_resolve(world: World) -> None:
    key = make(world, "pagerduty")
    trigger = with_key(sample("pagerduty", "0005_post_v2_enqueue.json"), "routing_key", key)
    r = world.client.post(
        "/v2/enqueue", content=trigger, headers={"content-type": "application/json"}
    )
    assert r.status_code == 202, r.text
    dedup_key = json.loads(trigger)["dedup_key"]
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
    (alert,) = alerts(world, dedup_key=dedup_key)
    number = alert["incident"]["number"]  # type: ignore[index]
    opened = incident(world, number)
    assert opened["priority"] == 1  # severity critical
    assert opened["customer"] == "acme"
    assert opened["title"].startswith("[FIRING:1] PrometheusRecentlyStarted")  # type: ignore[attr-defined]
    resolve = with_key(sample("pagerduty", "0019_post_v2_enqueue.json"), "routing_key", key)
    assert world.client.post("/v2/enqueue", content=resolve).status_code == 202
    assert incident(world, number)["state"] == "resolved"


def test_the_writer_counts_what_it_committed(world: World) -> None:
    key = make(world, "pagerduty")
    trigger = with_key(sample("pagerduty", "0005_post_v2_enqueue.json"), "routing_key", key)
    for n in range(3):
        body = json.loads(trigger)
        body["dedup_key"] = f"metrics-{n}"
        r = world.client.post("/v2/enqueue", json=body)
        assert r.status_code == 202, r.text
    metrics = world.client.get("/metrics").text
    assert "tocsin_ingest_committed_alerts 3.0" in metrics
    batches = float(metrics.split("\ntocsin_ingest_committed_batches ")[1].split()[0])
    assert 1 <= batches <= 3


def test_pagerduty_generates_a_dedup_key(world: World) -> None:
    key = make(world, "pagerduty")
    r = world.client.post(
        "/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "CPU high", "source": "db-1", "severity": "warning"},
        },
    )
    assert r.status_code == 202
    generated = r.json()["dedup_key"]
    assert generated
    assert alerts(world, dedup_key=generated)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"event_action": "trigger", "payload": {"source": "h", "severity": "error"}},
            "'payload.summary' is missing or blank",
        ),
        (
            {
                "event_action": "trigger",
                "payload": {"summary": "x" * 1025, "source": "h", "severity": "error"},
            },
            "1024",
        ),
        (
            {
                "event_action": "trigger",
                "dedup_key": "k" * 256,
                "payload": {"summary": "s", "source": "h", "severity": "error"},
            },
            "255",
        ),
        ({"event_action": "explode"}, "event_action"),
    ],
)
def test_pagerduty_invalid_events(world: World, body: dict[str, object], error: str) -> None:
    key = make(world, "pagerduty")
    r = world.client.post("/v2/enqueue", json={"routing_key": key, **body})
    assert r.status_code == 400
    assert r.json()["status"] == "invalid event"
    assert any(error in e for e in r.json()["errors"])
    assert alerts(world) == []


def test_pagerduty_unknown_key_and_huge_body(world: World) -> None:
    r = world.client.post(
        "/v2/enqueue",
        json={
            "routing_key": "nope",
            "event_action": "trigger",
            "payload": {"summary": "s", "source": "h", "severity": "info"},
        },
    )
    assert r.status_code == 400
    assert "routing_key" in r.json()["errors"][0]
    key = make(world, "pagerduty")
    r = world.client.post(
        "/v2/enqueue",
        json={
            "routing_key": key,
            "event_action": "trigger",
            "payload": {
                "summary": "s",
                "source": "h",
                "severity": "info",
                "custom_details": {"blob": "x" * 600_000},
            },
        },
    )
    assert r.status_code == 413
    assert alerts(world) == []


# Opsgenie -------------------------------------------------------------------------------


def test_opsgenie_create_repeat_and_close_by_alias(world: World) -> None:
    key = make(world, "opsgenie")
    headers = {"Authorization": f"GenieKey {key}", "content-type": "application/json"}
    body = sample("opsgenie", "0002_post_opsgenie_v2_alerts.json")
    r = world.client.post("/v2/alerts", content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert r.json()["result"] == "Request will be processed"
    assert r.json()["requestId"]
    world.client.post("/v2/alerts", content=body, headers=headers)
    alias = json.loads(body)["alias"]
    (alert,) = alerts(world, dedup_key=alias)
    assert alert["count"] == 2
    close = sample("opsgenie", next(p.name for p in (SAMPLES / "opsgenie").glob("*close.json")))
    r = world.client.post(
        f"/v2/alerts/{alias}/close?identifierType=alias", content=close, headers=headers
    )
    assert r.status_code == 202, r.text
    (alert,) = alerts(world, dedup_key=alias)
    assert alert["status"] == "resolved"
    r = world.client.post("/v2/alerts", content=body, headers={"Authorization": "GenieKey x"})
    assert r.status_code == 401


# Alertmanager ---------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["bearer", "query"])
def test_alertmanager_groups_then_resolves_a_group(world: World, auth: str) -> None:
    key = make(world, "alertmanager")
    headers = {"Authorization": f"Bearer {key}"} if auth == "bearer" else {}
    url = "/api/v1/ingest/alertmanager" + ("" if auth == "bearer" else f"?key={key}")
    r = world.client.post(
        url, content=sample("alertmanager", "0010_post_webhook.json"), headers=headers
    )
    assert r.status_code == 202, r.text
    results = r.json()["results"]
    assert [x["result"] for x in results] == ["created", "grouped", "grouped"]
    number = results[0]["incident"]
    assert {x["incident"] for x in results} == {number}
    r = world.client.post(
        url, content=sample("alertmanager", "0031_post_webhook.json"), headers=headers
    )
    assert [x["result"] for x in r.json()["results"]] == ["resolved"] * 3
    resolved = incident(world, number)
    assert resolved["state"] == "resolved"
    assert resolved["resolution_code"] == "auto_resolved"


def test_alertmanager_refuses_a_bad_key_and_garbage(world: World) -> None:
    r = world.client.post(
        "/api/v1/ingest/alertmanager", content=b"{}", headers={"Authorization": "Bearer wrong"}
    )
    assert r.status_code == 401
    key = make(world, "alertmanager")
    r = world.client.post(
        "/api/v1/ingest/alertmanager",
        content=b'{"version": "4", "alerts": [',
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 400
    assert r.json()["detail"]
    r = world.client.post(
        "/api/v1/ingest/generic",
        content=b'{"summary": "x"}',
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 400
    assert "alertmanager integration" in r.json()["detail"]
    assert alerts(world) == []


# Grafana, generic, Suricata -------------------------------------------------------------


def test_grafana(world: World) -> None:
    key = make(world, "grafana")
    r = world.client.post(
        "/api/v1/ingest/grafana",
        content=sample("grafana", "0001_firing_and_resolved.json"),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["alerts"] >= 1


def test_generic(world: World) -> None:
    key = make(world, "generic")
    h = {"Authorization": f"Bearer {key}"}
    r = world.client.post(
        "/api/v1/ingest/generic",
        headers=h,
        json={"summary": "Queue depth above 10k", "severity": "critical", "dedup_key": "queue"},
    )
    assert r.status_code == 202
    assert r.json()["results"][0]["result"] == "created"
    r = world.client.post(
        "/api/v1/ingest/generic", headers=h, json={"dedup_key": "queue", "status": "resolved"}
    )
    assert r.json()["results"][0]["result"] == "resolved"


def test_suricata_eve_lines(world: World) -> None:
    key = make(world, "suricata")
    r = world.client.post(
        "/api/v1/ingest/suricata",
        content=(SAMPLES / "suricata" / "eve_loopback.json").read_bytes(),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["alerts"] == 9
    assert body["ignored"]["flow"] == 10
    assert body["ignored"]["stats"] == 1
    numbers = {x["incident"] for x in body["results"] if x["incident"]}
    assert numbers
    for number in numbers:
        assert incident(world, number)["type"] == "security_incident"


def test_ingest_failures_are_audited(world: World) -> None:
    world.client.post(
        "/api/v1/ingest/generic", json={"summary": "x"}, headers={"Authorization": "Bearer forged"}
    )
    denied = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "auth.denied"}
    ).json()["items"]
    assert any(d["data"]["reason"] == "unknown or disabled integration key" for d in denied)


def test_the_console_shows_an_incidents_alerts(world: World) -> None:
    from tocsin.auth.schemas import UserPatch

    key = make(world, "alertmanager")
    r = world.client.post(
        "/api/v1/ingest/alertmanager",
        content=sample("alertmanager", "0010_post_webhook.json"),
        headers={"Authorization": f"Bearer {key}"},
    )
    number = r.json()["results"][0]["incident"]
    world.app.auth.patch_user(
        world.principals["admin"], "agent@example.com", UserPatch(password="a good long password")
    )
    world.client.post(
        "/login", data={"email": "agent@example.com", "password": "a good long password"}
    )
    page = world.client.get(f"/incidents/{number}").text
    assert 'id="alerts"' in page
    assert page.count('class="alert-triggered"') == 3


# The body as the server hands it over: in pieces, or cut short -----------------------------


def _trigger(key: str, dedup_key: str) -> bytes:
    return json.dumps(
        {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {"summary": "Disk full", "source": "db-1", "severity": "error"},
        }
    ).encode()


def test_a_body_sent_in_pieces_is_read_whole(world: World) -> None:
    body = _trigger(make(world, "pagerduty"), "in-pieces")
    pieces = [body[:7], body[7:40], body[40:]]
    sent = post_in_pieces(
        world,
        "/v2/enqueue",
        [
            {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
            for n, piece in enumerate(pieces)
        ],
    )
    assert sent[0]["status"] == 202, sent
    assert [a["dedup_key"] for a in alerts(world, dedup_key="in-pieces")] == ["in-pieces"]


def test_a_sender_that_hangs_up_mid_body_stores_nothing(world: World) -> None:
    body = _trigger(make(world, "pagerduty"), "cut-short")
    sent = post_in_pieces(
        world, "/v2/enqueue", [{"type": "http.request", "body": body[:20], "more_body": True}]
    )
    assert all(m.get("status", 0) < 200 or m.get("status", 0) >= 300 for m in sent), sent
    assert alerts(world, dedup_key="cut-short") == []


def test_refused_keys_arriving_together_are_audited_in_one_transaction(world: World) -> None:
    """A flood of bad keys costs no transaction each on the event loop that serves the
    good senders; every refusal is audited before its answer: one by one up to the
    source's allowance in a minute, the rest in that minute's summary entry."""
    import asyncio

    import httpx

    from tocsin.web.app import create_app

    app = create_app(world.app)
    real = world.app.auth.record_denials
    calls: list[int] = []

    def record_denials(denials: list[Any]) -> list[None]:
        calls.append(len(denials))
        return real(denials)

    world.app.auth.denial_writer.write = record_denials
    forged = [
        ("/api/v1/ingest/generic", {"Authorization": "Bearer forged"}, {"summary": "x"}),
        (
            "/v2/enqueue",
            {},
            {
                "routing_key": "f" * 32,
                "event_action": "trigger",
                "payload": {"summary": "x", "source": "h", "severity": "info"},
            },
        ),
        ("/v2/alerts", {"Authorization": "GenieKey forged"}, {"message": "x"}),
    ]

    async def senders() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 4711))
        async with httpx.AsyncClient(transport=transport, base_url="http://tocsin") as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(path, headers=headers, json=body)
                        for _ in range(10)
                        for path, headers, body in forged
                    )
                )
            )

    answers = run_on_own_loop(senders)
    assert sorted({r.status_code for r in answers}) == [400, 401]
    assert sum(calls) == 30
    assert len(calls) < 30  # refusals that arrived together shared a transaction
    denied = world.client.get(
        "/api/v1/audit",
        headers=world.h("admin"),
        params={"action": "auth.denied", "limit": 100},
    ).json()["items"]
    mine = [d for d in denied if d["data"]["source"] == "192.0.2.7"]
    assert len(mine) == PER_SOURCE
    assert {d["data"]["what"] for d in mine} <= {
        "POST /api/v1/ingest/generic",
        "POST /v2/enqueue",
        "POST /v2/alerts",
    }
    world.app.clock.advance(minutes=1)
    assert world.app.auth.flush_refusals() == 1
    (summary,) = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"action": "auth.denied_summary"}
    ).json()["items"]
    assert summary["data"]["source"] == "192.0.2.7"
    assert summary["data"]["refusals"] == 30 - PER_SOURCE
    verified = world.client.get("/api/v1/audit/verify", headers=world.h("admin")).json()
    assert verified["intact"] is True


def test_a_refusal_whose_audit_cannot_be_written_is_not_answered_as_refused(
    world: World,
) -> None:
    """The audit of a refusal commits before the answer: when it cannot be written the
    sender gets a 500 (and retries), never a 401 that left no trace."""

    def broken(denials: list[Any]) -> list[None]:
        raise RuntimeError("the disk is full")

    world.app.auth.denial_writer.write = broken
    from fastapi.testclient import TestClient

    from tocsin.web.app import create_app

    with TestClient(create_app(world.app), raise_server_exceptions=False) as client:
        r = client.post(
            "/api/v1/ingest/generic", json={"summary": "x"}, headers={"Authorization": "Bearer no"}
        )
    assert r.status_code == 500
