"""Problems, known errors and candidates through the API: the lifecycle with its 409 and
422 refusals, 412 on a stale version, incident links and impact, tenant isolation, and
the recurring-incidents-to-known-error flow with matching on new incidents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tocsin.catalog.schemas import CategoryIn
from tocsin.core.clock import FrozenClock
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn

from .conftest import World

PROBLEMS = "/api/v1/problems"


def _incident(world: World, title: str, **kw: Any) -> str:
    data = IncidentIn(title=title, customer=kw.pop("customer", "acme"), **kw)
    return world.app.incidents.create(world.principals["admin"], data).number


def _problem(world: World, who: str = "manager", **body: Any) -> dict[str, Any]:
    r = world.client.post(
        PROBLEMS,
        headers=world.h(who),
        json={"title": "Web shop slow", "customer": "acme", **body},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _patch(world: World, ref: str, who: str = "manager", **body: Any) -> Any:
    return world.client.patch(f"{PROBLEMS}/{ref}", headers=world.h(who), json=body)


def test_the_lifecycle_its_refusals_and_the_known_error(world: World) -> None:
    made = _problem(world, services=["acme-web"], five_whys=["pool full", "leak"])
    ref = made["number"]
    assert ref.startswith("PRB")
    assert (made["state"], made["services"], made["version"]) == ("new", ["acme-web"], 1)
    assert made["allowed_states"] == ["assessed", "closed"]

    r = _patch(world, ref, state="known_error")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "assessed, closed" in r.json()["detail"]

    assert _patch(world, ref, state="assessed").status_code == 200
    assert _patch(world, ref, state="root_cause_analysis").status_code == 200
    r = _patch(world, ref, state="known_error", root_cause="connection leak")
    assert r.status_code == 422
    assert "workaround" in r.json()["detail"]
    assert (
        world.client.get(f"{PROBLEMS}/{ref}", headers=world.h("agent")).json()["root_cause"] == ""
    )

    r = world.client.get(f"{PROBLEMS}/{ref}", headers=world.h("agent"))
    etag = r.headers["ETag"]
    r = _patch(
        world,
        ref,
        root_cause="connection leak in the cart service",
        workaround="restart the cart pods",
        state="known_error",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "known_error"
    assert body["root_cause_at"] is not None
    assert body["known_error"].startswith("KE")
    # a stale version, as header or field, answers 412 and changes nothing
    stale = world.client.patch(
        f"{PROBLEMS}/{ref}", headers={**world.h("manager"), "If-Match": etag}, json={"title": "x"}
    )
    assert stale.status_code == 412
    assert _patch(world, ref, title="x", version=1).status_code == 412

    found = world.client.get(
        "/api/v1/known-errors", headers=world.h("agent"), params={"q": "CART PODS"}
    ).json()
    assert [k["number"] for k in found["items"]] == [body["known_error"]]
    known = found["items"][0]
    assert (known["problem"], known["service"], known["active"]) == (ref, "acme-web", True)

    assert _patch(world, ref, state="resolved").status_code == 422
    r = _patch(world, ref, state="resolved", permanent_fix="close connections")
    assert r.status_code == 200
    assert r.json()["resolved_at"] is not None
    assert _patch(world, ref, state="closed").json()["allowed_states"] == []

    # input that cannot be right answers 422 with a sentence
    for bad in ({"title": ""}, {"priority": 9}, {"state": "solved"}, {"five_whys": [""]}):
        r = _patch(world, ref, **bad)
        assert r.status_code == 422, bad
    r = world.client.post(
        PROBLEMS, headers=world.h("manager"), json={"title": "t", "category": "Nope"}
    )
    assert r.status_code == 422
    assert "no category" in r.json()["detail"]


def test_linked_incidents_impact_and_timeline(world: World, clock: FrozenClock) -> None:
    ref = _problem(world)["number"]
    first = _incident(world, "Checkout error")
    second = _incident(world, "Checkout error again")
    clock.advance(timedelta(hours=2))
    world.app.actions.perform(
        world.principals["admin"],
        first,
        Action.RESOLVE,
        ActionIn(resolution_code="solved_workaround", resolution_notes="restarted"),
    )
    clock.advance(timedelta(hours=1))
    url = f"{PROBLEMS}/{ref}/incidents"
    r = world.client.post(url, headers=world.h("manager"), json={"incidents": [first, second]})
    assert r.status_code == 200, r.text
    assert [(x["number"], x["source"]) for x in r.json()] == [(first, "manual"), (second, "manual")]

    impact = world.client.get(f"{PROBLEMS}/{ref}", headers=world.h("agent")).json()["impact"]
    # first: resolved after 2 h; second: open for 3 h so far
    assert (impact["incidents"], impact["open"], impact["downtime_seconds"]) == (2, 1, 5 * 3600)

    timeline = world.client.get(f"/api/v1/incidents/{second}/timeline", headers=world.h("agent"))
    assert any(
        e["kind"] == "problem_linked" and ref in e["message"] for e in timeline.json()["items"]
    )

    other = _problem(world, title="Another")["number"]
    r = world.client.post(
        f"{PROBLEMS}/{other}/incidents", headers=world.h("manager"), json={"incidents": [second]}
    )
    assert r.status_code == 409
    assert ref in r.json()["detail"]
    foreign = _incident(world, "ERP down", customer="globex")
    r = world.client.post(url, headers=world.h("manager"), json={"incidents": [foreign]})
    assert r.status_code == 422

    assert world.client.delete(f"{url}/{second}", headers=world.h("manager")).status_code == 204
    assert world.client.delete(f"{url}/{second}", headers=world.h("manager")).status_code == 404
    assert [x["number"] for x in world.client.get(url, headers=world.h("agent")).json()] == [first]


def test_tenants_see_and_manage_only_their_own(world: World) -> None:
    ref = _problem(world)["number"]
    assert world.client.get(f"{PROBLEMS}/{ref}", headers=world.h("globex_agent")).status_code == 404
    assert world.client.get(PROBLEMS, headers=world.h("globex_agent")).json()["total"] == 0
    assert world.client.get(PROBLEMS, headers=world.h("acme_agent")).json()["total"] == 1
    assert _patch(world, ref, who="agent", title="x").status_code == 403
    assert world.client.get(PROBLEMS, headers=world.h("requester")).status_code == 403
    own = _problem(world, who="acme_manager", customer=None)
    assert own["customer"] == "acme"
    r = world.client.post(
        PROBLEMS, headers=world.h("acme_manager"), json={"title": "t", "customer": "globex"}
    )
    assert r.status_code in (404, 422)
    states = world.client.get(PROBLEMS, headers=world.h("agent"), params={"state": "open"})
    assert states.json()["total"] == 2
    assert (
        world.client.get(PROBLEMS, headers=world.h("agent"), params={"state": "x"}).status_code
        == 422
    )


def test_recurring_incidents_become_a_known_error_that_new_incidents_match(
    world: World,
) -> None:
    app, admin = world.app, world.principals["admin"]
    app.catalog.create_category(admin, CategoryIn(name="Performance"))
    same = {"service": "acme-web", "category": "Performance"}
    for title in ("Checkout page timeout", "Timeout on checkout page", "Checkout timeout"):
        _incident(world, title, **same)
    _incident(world, "Printer out of toner", **same)

    candidates = world.client.get("/api/v1/problem-candidates", headers=world.h("agent")).json()
    assert len(candidates) == 1
    candidate = candidates[0]
    assert (len(candidate["incidents"]), candidate["service"]) == (3, "acme-web")
    key = candidate["key"]
    url = f"/api/v1/problem-candidates/{key}/accept"
    assert world.client.post(url, headers=world.h("agent")).status_code == 403
    r = world.client.post(url, headers=world.h("manager"))
    assert r.status_code == 201, r.text
    problem = r.json()
    assert problem["impact"]["incidents"] == 3
    assert problem["category"] == "Performance"
    assert world.client.post(url, headers=world.h("manager")).status_code == 404
    assert world.client.get("/api/v1/problem-candidates", headers=world.h("agent")).json() == []

    ref = problem["number"]
    for state in ("assessed", "root_cause_analysis"):
        assert _patch(world, ref, state=state).status_code == 200
    r = _patch(
        world,
        ref,
        root_cause="cache stampede",
        workaround="flush the CDN cache",
        state="known_error",
    )
    assert r.status_code == 200, r.text

    fresh = _incident(world, "Checkout timeout for customers", **same)
    other = _incident(world, "Checkout timeout", service="acme-web")  # no category: no match
    matched = world.client.get(f"/api/v1/incidents/{fresh}/known-errors", headers=world.h("agent"))
    assert [(m["problem"], m["workaround"], m["reason"]) for m in matched.json()] == [
        (ref, "flush the CDN cache", "text")
    ]
    assert (
        world.client.get(f"/api/v1/incidents/{other}/known-errors", headers=world.h("agent")).json()
        == []
    )

    assert app.known_errors.record_matches() == 1
    assert app.known_errors.record_matches() == 0  # recorded once
    linked = world.client.get(f"{PROBLEMS}/{ref}/incidents", headers=world.h("agent")).json()
    assert (fresh, "known_error") in [(x["number"], x["source"]) for x in linked]

    hints = world.client.get(f"/api/v1/incidents/{fresh}/suggestions", headers=world.h("agent"))
    assert hints.status_code == 200
    body = hints.json()
    assert {"category", "priority", "team", "similar", "known_errors"} <= set(body)
    assert body["category"][0]["value"] == "Performance"
    assert len(body["similar"]) >= 3
    assert body["known_errors"][0]["problem"] == ref


def test_dismissed_candidates_are_not_proposed_again(world: World) -> None:
    same = {"service": "acme-web", "category": "Network"}
    for title in ("VPN drops", "VPN drops again", "VPN connection drops"):
        _incident(world, title, **same)
    listed = world.client.get("/api/v1/problem-candidates", headers=world.h("agent")).json()
    url = f"/api/v1/problem-candidates/{listed[0]['key']}/dismiss"
    assert world.client.post(url, headers=world.h("agent")).status_code == 403
    assert world.client.post(url, headers=world.h("globex_agent")).status_code == 403
    assert world.client.post(url, headers=world.h("manager")).status_code == 204
    assert world.client.get("/api/v1/problem-candidates", headers=world.h("agent")).json() == []
    assert world.client.post(url, headers=world.h("manager")).status_code == 404
    # fresh evidence: a fourth incident alike makes another cluster, proposed again
    _incident(world, "VPN drops every hour", **same)
    listed = world.client.get("/api/v1/problem-candidates", headers=world.h("agent")).json()
    assert [len(c["incidents"]) for c in listed] == [4]


def test_a_known_error_matches_an_alert_by_fingerprint(world: World) -> None:
    h = {"Authorization": f"Bearer {world.extra['integration_key']}"}
    r = world.client.post(
        "/api/v1/ingest/generic",
        headers=h,
        json={"summary": "Disk full on db-1", "severity": "critical", "dedup_key": "disk-db1"},
    )
    assert r.status_code == 202, r.text
    alert = world.client.get(
        "/api/v1/alerts", headers=world.h("agent"), params={"dedup_key": "disk-db1"}
    ).json()["items"][0]
    incident = alert["incident"]["number"]
    body = {"title": "Disk fills up", "customer": "acme", "fingerprint": "disk-db1"}
    r = world.client.post("/api/v1/known-errors", headers=world.h("manager"), json=body)
    assert r.status_code == 201, r.text
    known = r.json()
    url = f"/api/v1/incidents/{incident}/known-errors"
    assert [
        (m["number"], m["reason"]) for m in world.client.get(url, headers=world.h("agent")).json()
    ] == [(known["number"], "fingerprint")]
    assert world.client.get(url, headers=world.h("globex_agent")).status_code == 404

    ke = f"/api/v1/known-errors/{known['number']}"
    r = world.client.patch(ke, headers=world.h("manager"), json={"active": False, "version": 1})
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert (
        world.client.patch(
            ke, headers=world.h("manager"), json={"active": True, "version": 1}
        ).status_code
        == 412
    )
    assert world.client.get(url, headers=world.h("agent")).json() == []  # inactive
    assert world.client.get(ke, headers=world.h("globex_agent")).status_code == 404
    listed = world.client.get(
        "/api/v1/known-errors", headers=world.h("agent"), params={"active": False}
    )
    assert listed.json()["total"] == 1
    # without a problem there is nothing to link: the engine records nothing
    assert world.app.known_errors.record_matches() == 0
    r = world.client.post(
        "/api/v1/known-errors", headers=world.h("manager"), json={"title": "t", "service": "nope"}
    )
    assert r.status_code in (404, 422)
