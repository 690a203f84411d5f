"""Post-incident reviews through the API: start on a resolved incident only, edit with
If-Match, publish, action items to done, Markdown, the reviews still owed, and tenants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tocsin.core.clock import FrozenClock
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentPatch, NoteIn

from .conftest import World


def _incident(
    world: World, title: str, *, customer: str = "acme", impact: int = 1, urgency: int = 1
) -> str:
    admin = world.principals["admin"]
    data = IncidentIn(title=title, customer=customer, impact=impact, urgency=urgency)
    return world.app.incidents.create(admin, data).number


def _resolve(world: World, number: str) -> None:
    clock = world.app.clock
    assert isinstance(clock, FrozenClock)
    admin = world.principals["admin"]
    clock.advance(minutes=5)
    world.app.actions.perform(admin, number, Action.ACKNOWLEDGE, ActionIn())
    clock.advance(minutes=10)
    world.app.actions.perform(admin, number, Action.HOLD, ActionIn(reason="awaiting_vendor"))
    clock.advance(minutes=15)
    world.app.actions.perform(admin, number, Action.RESUME, ActionIn())
    world.app.incidents.add_note(admin, number, NoteIn(body="Rolled back release 42"))
    clock.advance(minutes=30)
    world.app.actions.perform(
        admin,
        number,
        Action.RESOLVE,
        ActionIn(resolution_code="solved_permanently", resolution_notes="Rolled back"),
    )


def _start(world: World, number: str, who: str = "agent") -> Any:
    return world.client.post("/api/v1/reviews", headers=world.h(who), json={"incident": number})


def test_review_lifecycle_with_action_items_and_markdown(world: World) -> None:
    number = _incident(world, "Checkout down")
    r = _start(world, number)
    assert r.status_code == 409, r.text
    assert "Resolve it first" in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")

    _resolve(world, number)
    r = _start(world, number)
    assert r.status_code == 201, r.text
    review = r.json()
    assert r.headers["ETag"] == '"1"'
    assert (review["state"], review["required"], review["author"]) == (
        "draft",
        True,
        "agent@example.com",
    )
    g = review["generated"]
    assert (g["time_to_acknowledge"], g["time_to_resolve"], g["time_on_hold"]) == (
        300,
        3600,
        900,
    )
    kinds = [e["kind"] for e in g["events"]]
    assert kinds == ["created", "acknowledge", "hold", "resume", "work_note", "resolve"]
    assert _start(world, number).status_code == 409  # one review per incident

    url = f"/api/v1/reviews/{review['id']}"
    r = world.client.patch(
        url,
        headers={**world.h("agent"), "If-Match": '"1"'},
        json={"root_cause": "Release 42 broke the payment client.", "state": "in_review"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["state"]) == (2, "in_review")
    stale = world.client.patch(
        url, headers={**world.h("agent"), "If-Match": '"1"'}, json={"summary": "x"}
    )
    assert stale.status_code == 412
    assert world.client.get(url, headers=world.h("agent")).json()["summary"] == ""
    bad = world.client.patch(url, headers=world.h("agent"), json={"state": "approved"})
    assert bad.status_code == 422
    bad = world.client.patch(url, headers=world.h("agent"), json={"owner": "x"})
    assert bad.status_code == 422

    items = f"{url}/action-items"
    due = (world.app.clock.now() - timedelta(days=1)).date().isoformat()
    r = world.client.post(
        items,
        headers=world.h("agent"),
        json={"title": "Canary releases", "owner": "agent@example.com", "due": due},
    )
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item["owner"], item["overdue"], item["incident"]) == ("agent@example.com", True, number)
    for body in (
        {"title": ""},
        {"title": "x", "owner": "carol@globex.test"},
        {"title": "x", "owner": "alice@acme.test"},
    ):
        assert world.client.post(items, headers=world.h("agent"), json=body).status_code == 422
    overdue = world.client.get("/api/v1/action-items?overdue=true", headers=world.h("viewer"))
    assert [i["id"] for i in overdue.json()["items"]] == [item["id"]]
    mine = world.client.get("/api/v1/action-items?open=true&owner=me", headers=world.h("agent"))
    assert mine.json()["total"] == 1

    r = world.client.patch(
        f"/api/v1/action-items/{item['id']}", headers=world.h("agent"), json={"done": True}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["done"], r.json()["overdue"]) == (True, False)
    assert r.json()["done_at"] is not None
    stale = world.client.patch(
        f"/api/v1/action-items/{item['id']}",
        headers={**world.h("agent"), "If-Match": '"1"'},
        json={"done": False},
    )
    assert stale.status_code == 412
    assert (
        world.client.get("/api/v1/action-items?open=true", headers=world.h("agent")).json()["total"]
        == 0
    )

    r = world.client.patch(url, headers=world.h("manager"), json={"state": "published"})
    assert r.json()["published_at"] is not None
    refused = world.client.patch(url, headers=world.h("agent"), json={"lessons": "more"})
    assert refused.status_code == 409
    assert world.client.post(f"{url}/regenerate", headers=world.h("agent")).status_code == 409

    r = world.client.get(f"{url}/markdown", headers=world.h("viewer"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    assert f'filename="review-{number}.md"' in r.headers["content-disposition"]
    assert f"# Post-incident review: {number} Checkout down" in r.text
    assert "## Root cause\n\nRelease 42 broke the payment client." in r.text
    assert "- [x] Canary releases (owner agent@example.com" in r.text
    assert "| Work note | admin@example.com | Rolled back release 42 |" in r.text

    audit = world.client.get("/api/v1/audit", headers=world.h("admin"), params={"limit": 200})
    actions = [x["action"] for x in audit.json()["items"] if x["action"].startswith("review.")]
    assert sorted(actions) == sorted(
        [
            "review.created",
            "review.updated",
            "review.action_item",
            "review.action_item",
            "review.published",
        ]
    )


def test_missing_reviews_and_regenerate(world: World) -> None:
    p1 = _incident(world, "Database down")
    p4 = _incident(world, "Printer jam", impact=2, urgency=3)
    major = _incident(world, "Office flooded", impact=3, urgency=3)
    world.app.incidents.patch(world.principals["admin"], major, IncidentPatch(major=True))
    for number in (p1, p4, major):
        _resolve(world, number)
    still_open = _incident(world, "Still burning")
    missing = world.client.get("/api/v1/reviews/missing", headers=world.h("viewer")).json()
    assert [m["incident"] for m in missing["items"]] == [p1, major]
    assert still_open not in {m["incident"] for m in missing["items"]}

    review = _start(world, p1).json()
    missing = world.client.get("/api/v1/reviews/missing", headers=world.h("viewer")).json()
    assert [(m["incident"], m["review_state"]) for m in missing["items"]] == [
        (p1, "draft"),
        (major, None),
    ]
    not_required = _start(world, p4).json()
    assert not_required["required"] is False

    admin = world.principals["admin"]
    world.app.actions.perform(admin, p1, Action.REOPEN, ActionIn(reason="It came back"))
    world.app.actions.perform(
        admin,
        p1,
        Action.RESOLVE,
        ActionIn(resolution_code="solved_permanently", resolution_notes="Again"),
    )
    r = world.client.post(
        f"/api/v1/reviews/{review['id']}/regenerate",
        headers={**world.h("agent"), "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert [e["kind"] for e in r.json()["generated"]["events"]][-2:] == ["reopen", "resolve"]
    world.client.patch(
        f"/api/v1/reviews/{review['id']}", headers=world.h("agent"), json={"state": "published"}
    )
    missing = world.client.get("/api/v1/reviews/missing", headers=world.h("viewer")).json()
    assert [m["incident"] for m in missing["items"]] == [major]

    listed = world.client.get("/api/v1/reviews", headers=world.h("viewer")).json()
    assert [r["incident"] for r in listed["items"]] == [p4, p1]  # drafts first
    assert (
        world.client.get("/api/v1/reviews?state=published", headers=world.h("viewer")).json()[
            "total"
        ]
        == 1
    )
    assert (
        world.client.get("/api/v1/reviews?state=nope", headers=world.h("viewer")).status_code == 422
    )
    optional = world.client.get("/api/v1/reviews?required=false", headers=world.h("viewer"))
    assert [r["incident"] for r in optional.json()["items"]] == [p4]
    required = world.client.get("/api/v1/reviews?required=true", headers=world.h("viewer"))
    assert [r["incident"] for r in required.json()["items"]] == [p1]


def test_tenants_see_only_their_own_reviews(world: World) -> None:
    acme = _incident(world, "Acme web down")
    globex = _incident(world, "Globex ERP down", customer="globex")
    _resolve(world, acme)
    _resolve(world, globex)
    acme_review = _start(world, acme).json()
    # another tenant's incident is not found, not refused
    assert _start(world, acme, who="globex_agent").status_code == 404
    assert _start(world, globex, who="globex_agent").status_code == 201
    assert _start(world, acme, who="requester").status_code == 403

    url = f"/api/v1/reviews/{acme_review['id']}"
    assert world.client.get(url, headers=world.h("globex_agent")).status_code == 404
    assert world.client.get(f"{url}/markdown", headers=world.h("globex_agent")).status_code == 404
    assert world.client.get(url, headers=world.h("acme_agent")).status_code == 200
    assert world.client.get(url, headers=world.h("requester")).status_code == 403
    r = world.client.post(
        f"{url}/action-items", headers=world.h("globex_agent"), json={"title": "x"}
    )
    assert r.status_code == 404
    item = world.client.post(f"{url}/action-items", headers=world.h("agent"), json={"title": "x"})
    r = world.client.patch(
        f"/api/v1/action-items/{item.json()['id']}",
        headers=world.h("globex_agent"),
        json={"done": True},
    )
    assert r.status_code == 404
    seen = world.client.get("/api/v1/reviews", headers=world.h("globex_agent")).json()
    assert [r["incident"] for r in seen["items"]] == [globex]
    items = world.client.get("/api/v1/action-items", headers=world.h("globex_agent")).json()
    assert items["total"] == 0
    missing = world.client.get("/api/v1/reviews/missing", headers=world.h("globex_agent")).json()
    assert {m["customer"] for m in missing["items"]} <= {"globex"}
