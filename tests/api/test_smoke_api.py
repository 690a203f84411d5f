"""First contact: open an incident and walk it through its life over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import World


def test_incident_walkthrough(world: World) -> None:
    c, h = world.client, world.h("agent")
    r = c.post(
        "/api/v1/incidents",
        headers=h,
        json={
            "title": "Checkout fails",
            "impact": 1,
            "urgency": 2,
            "team": "ops",
            "customer": "acme",
            "requester": "alice@acme.test",
            "category": "Software",
            "subcategory": "Application",
        },
    )
    assert r.status_code == 201, r.text
    inc = r.json()
    assert inc["number"] == "INC0001001"
    assert inc["priority"] == 2
    assert inc["state"] == "assigned"
    assert r.headers["etag"] == '"1"'
    number = inc["number"]
    r = c.post(f"/api/v1/incidents/{number}/actions/acknowledge", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_at"] is not None
    assert r.json()["assignee"] == "agent@example.com"
    r = c.post(
        f"/api/v1/incidents/{number}/actions/resolve",
        headers=h,
        json={"resolution_code": "solved_permanently", "resolution_notes": "restarted"},
    )
    assert r.json()["state"] == "resolved"
    r = world.client.get(f"/api/v1/incidents/{number}", headers=world.h("requester"))
    assert r.status_code == 200
    r = world.client.get(f"/api/v1/incidents/{number}", headers=world.h("globex_requester"))
    assert r.status_code == 404


def test_the_api_docs_are_served_from_tocsin_itself(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "https://" not in page.text  # no CDN, no third-party favicon
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        assert client.get(f"/docs/assets/{asset}").status_code == 200
