"""Change records: the REST resource, PagerDuty change events, the change webhook, and an
incident's recent changes (both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tocsin.alerts.schemas import IntegrationIn
from tocsin.audit.models import AuditEntry
from tocsin.core.clock import FrozenClock

from .conftest import World


def _pd_key(world: World, service: str = "acme-web") -> str:
    admin = world.principals["admin"]
    created = world.app.integrations.create(
        admin, IntegrationIn(type="pagerduty", name=f"pd-{service}", service=service)
    )
    return created.key


# As the official clients send it (pdpyras' `send_change_event`, the PagerDuty GitHub
# Action "change-events"): summary, timestamp, source, custom_details, links.
def _pd_change(key: str, summary: str = "Deployed web 1.4.2") -> dict[str, Any]:
    return {
        "routing_key": key,
        "payload": {
            "summary": summary,
            "timestamp": "2026-03-02T08:42:58.315+0000",
            "source": "github-actions",
            "custom_details": {"build_state": "passed", "build_number": "220"},
        },
        "links": [
            {"href": "https://github.com/acme/web/actions/runs/220", "text": "Run 220"},
            {"href": "https://github.com/acme/web/commit/abc123", "text": "Commit"},
        ],
    }


def test_pagerduty_change_events_recorded_on_the_service_or_refused(world: World) -> None:
    key = _pd_key(world)
    r = world.client.post("/v2/change/enqueue", json=_pd_change(key))
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "success", "message": "Change event processed"}
    page = world.client.get("/api/v1/changes?service=acme-web", headers=world.h("agent")).json()
    (change,) = page["items"]
    assert change["summary"] == "Deployed web 1.4.2"
    assert change["customer"] == "acme"
    assert change["service"] == "acme-web"
    assert change["source"] == "github-actions"
    assert change["link"] == "https://github.com/acme/web/actions/runs/220"
    assert change["at"].startswith("2026-03-02T08:42:58.315")
    assert change["details"]["build_number"] == "220"
    assert len(change["details"]["links"]) == 2
    assert change["integration"] == "pd-acme-web"
    _pd_refusals(world, key)


def _pd_refusals(world: World, key: str) -> None:
    bad = {"routing_key": key, "payload": {"summary": " ", "timestamp": "yesterday"}}
    r = world.client.post("/v2/change/enqueue", json=bad)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert any("payload.summary" in e for e in body["errors"])
    assert any("payload.timestamp" in e for e in body["errors"])
    r = world.client.post("/v2/change/enqueue", json={"routing_key": key})
    assert r.status_code == 400
    assert "'payload' is missing" in r.json()["errors"]
    big = _pd_change(key)
    big["payload"]["custom_details"] = {"log": "x" * 600_000}
    assert world.client.post("/v2/change/enqueue", json=big).status_code == 413
    r = world.client.post("/v2/change/enqueue", content=b"{not json")
    assert r.status_code == 400
    assert r.json()["status"] == "invalid event"
    # a link that would run in a reader's browser is refused, nothing stored
    evil = _pd_change(key)
    evil["links"] = [{"href": "javascript:alert(1)", "text": "x"}]
    assert world.client.post("/v2/change/enqueue", json=evil).status_code == 400
    # the key of another type, or no integration at all
    generic_key = str(world.extra["integration_key"])
    for wrong in (generic_key, "nobody-has-this"):
        r = world.client.post("/v2/change/enqueue", json=_pd_change(wrong))
        assert r.status_code == 400
        assert r.json()["status"] == "invalid event"
    assert world.client.get("/api/v1/changes", headers=world.h("admin")).json()["total"] == 1


def test_change_webhook_takes_a_list_and_is_all_or_nothing(world: World) -> None:
    key = str(world.extra["integration_key"])
    deploys = [
        {"summary": "Deploy api 2.0", "source": "gitlab-ci", "at": "2026-03-02T09:00:00Z"},
        {"summary": "Feature flag checkout=on", "link": "https://flags.example/checkout"},
    ]
    r = world.client.post(
        "/api/v1/ingest/change", json=deploys, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 202, r.text
    assert r.json()["changes"] == 2
    one = {"summary": "Rotate TLS cert", "details": {"ticket": "CHG-7"}}
    r = world.client.post(f"/api/v1/ingest/change?key={key}", json=one)
    assert r.status_code == 202
    assert r.json()["changes"] == 1
    # one bad item refuses the batch
    r = world.client.post(
        f"/api/v1/ingest/change?key={key}",
        json=[{"summary": "ok"}, {"summary": "x", "service": "no-such-service"}],
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "[1].service"
    assert r.json()["title"] == "Change refused"
    r = world.client.post(f"/api/v1/ingest/change?key={key}", json=[{"summary": "x"}] * 101)
    assert r.status_code == 400
    assert "At most 100" in r.json()["detail"]
    r = world.client.post(f"/api/v1/ingest/change?key={key}", json=[{"source": "ci"}])
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "[0].summary"
    assert world.client.post("/api/v1/ingest/change?key=forged", json=one).status_code == 401
    pd_key = _pd_key(world)
    r = world.client.post(f"/api/v1/ingest/change?key={pd_key}", json=one)
    assert r.status_code == 400
    assert "pagerduty integration" in r.json()["detail"]
    items = world.client.get("/api/v1/changes", headers=world.h("admin")).json()["items"]
    assert [c["summary"] for c in items] == [
        "Rotate TLS cert",
        "Feature flag checkout=on",
        "Deploy api 2.0",
    ]


def test_rest_record_validation_and_tenants(world: World) -> None:
    c = world.client
    r = c.post(
        "/api/v1/changes",
        json={"service": "acme-web", "summary": "Patch kernel", "link": "https://x.example/1"},
        headers=world.h("acme_agent"),
    )
    assert r.status_code == 201, r.text
    change = r.json()
    assert change["created_by"] == "agent@acme.test"
    assert change["source"] == "manual"
    for bad in (
        {"summary": ""},
        {"summary": "x", "link": "javascript:alert(1)"},
        {"summary": "x", "at": "2026-03-02T09:00:00"},  # no time zone
        {"summary": "x", "colour": "red"},
    ):
        r = c.post("/api/v1/changes", json=bad, headers=world.h("agent"))
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    # viewers read but do not record; requesters do neither
    assert (
        c.post("/api/v1/changes", json={"summary": "x"}, headers=world.h("viewer")).status_code
        == 403
    )
    assert c.get("/api/v1/changes", headers=world.h("requester")).status_code == 403
    # another tenant sees nothing of acme's, and cannot name its service
    assert c.get("/api/v1/changes", headers=world.h("globex_agent")).json()["total"] == 0
    assert (
        c.get(f"/api/v1/changes/{change['id']}", headers=world.h("globex_agent")).status_code == 404
    )
    r = c.post(
        "/api/v1/changes",
        json={"service": "acme-web", "summary": "x"},
        headers=world.h("globex_agent"),
    )
    assert r.status_code in (404, 422)
    assert c.get(f"/api/v1/changes/{change['id']}", headers=world.h("agent")).json() == change
    with world.app.db.read() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "change.recorded")).all()
        assert [(r.actor, r.data["summary"]) for r in rows] == [("agent@acme.test", "Patch kernel")]
    assert (
        c.get("/api/v1/changes?since=2026-03-02T09:00:00", headers=world.h("agent")).status_code
        == 422
    )


def test_list_filters_and_cursor(world: World) -> None:
    c, clock = world.client, world.app.clock
    assert isinstance(clock, FrozenClock)
    for n in range(5):
        c.post(
            "/api/v1/changes",
            json={"service": "acme-web", "summary": f"deploy {n}", "source": "argo"},
            headers=world.h("agent"),
        )
        clock.advance(minutes=1)
    c.post("/api/v1/changes", json={"summary": "unrelated"}, headers=world.h("agent"))
    page = c.get("/api/v1/changes?service=acme-web&limit=2", headers=world.h("agent")).json()
    seen = [i["summary"] for i in page["items"]]
    while page["next"]:
        page = c.get(
            f"/api/v1/changes?service=acme-web&limit=2&cursor={page['next']}",
            headers=world.h("agent"),
        ).json()
        seen += [i["summary"] for i in page["items"]]
    assert seen == [f"deploy {n}" for n in (4, 3, 2, 1, 0)]
    assert page["total"] == 5
    since = (clock.now() - timedelta(minutes=2, seconds=30)).isoformat()
    r = c.get("/api/v1/changes", params={"since": since, "q": "DEPLOY"}, headers=world.h("agent"))
    assert [i["summary"] for i in r.json()["items"]] == ["deploy 4", "deploy 3"]
    assert c.get("/api/v1/changes?customer=acme", headers=world.h("agent")).json()["total"] == 5
    assert c.get("/api/v1/changes?service=nope", headers=world.h("agent")).status_code == 404
    assert c.get("/api/v1/changes?cursor=garbage", headers=world.h("agent")).status_code == 422


def test_recent_changes_of_an_incident_window(world: World) -> None:
    c, app = world.client, world.app
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    start = clock.now()

    def record(summary: str, at: Any) -> None:
        body = {"service": "acme-web", "summary": summary, "at": at.isoformat()}
        assert c.post("/api/v1/changes", json=body, headers=world.h("agent")).status_code == 201

    record("too old", start - timedelta(hours=25))
    record("day before", start - timedelta(hours=23))
    record("just before", start - timedelta(minutes=5))
    c.post("/api/v1/changes", json={"summary": "other service"}, headers=world.h("agent"))
    r = c.post(
        "/api/v1/incidents",
        json={"title": "Checkout down", "customer": "acme", "service": "acme-web"},
        headers=world.h("agent"),
    )
    number = r.json()["number"]
    clock.advance(hours=2)
    record("while working", clock.now() - timedelta(minutes=1))
    record("in the future", clock.now() + timedelta(hours=1))
    recent = app.changes.recent_for_incident(world.principals["agent"], number)
    assert [ch.summary for ch in recent] == ["while working", "just before", "day before"]
    assert app.changes.recent_for_incident(world.principals["acme_agent"], number)
