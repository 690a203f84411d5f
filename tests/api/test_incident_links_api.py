"""Links between incidents through the API: both directions, refusals, timeline and audit."""

from __future__ import annotations

from typing import Any

from tocsin.incidents.schemas import IncidentIn

from .conftest import World

LINKS = "/api/v1/incidents/{}/links"


def _incident(
    world: World, title: str, customer: str = "acme", requester: str | None = None
) -> str:
    admin = world.principals["admin"]
    data = IncidentIn(title=title, customer=customer, requester=requester)
    return world.app.incidents.create(admin, data).number


def _link(world: World, who: str, ref: str, other: str, kind: str = "related") -> Any:
    return world.client.post(
        LINKS.format(ref), headers=world.h(who), json={"incident": other, "kind": kind}
    )


def _timeline(world: World, ref: str) -> list[dict[str, Any]]:
    r = world.client.get(f"/api/v1/incidents/{ref}/timeline", headers=world.h("agent"))
    return [e for e in r.json()["items"] if e["kind"] in ("linked", "unlinked")]


def test_a_link_shows_on_both_incidents_with_a_timeline_entry_each(world: World) -> None:
    copy = _incident(world, "Mail down (second report)", requester="alice@acme.test")
    original = _incident(world, "Mail down")
    r = _link(world, "agent", copy, original, "duplicate_of")
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["number"] == original
    assert (made["kind"], made["direction"], made["relation"]) == (
        "duplicate_of",
        "outgoing",
        "duplicate of",
    )

    on_original = world.client.get(LINKS.format(original), headers=world.h("agent")).json()
    assert [(x["number"], x["direction"], x["relation"]) for x in on_original] == [
        (copy, "incoming", "duplicated by")
    ]
    assert on_original[0]["title"] == "Mail down (second report)"
    assert on_original[0]["state"] == "new"

    assert [e["message"] for e in _timeline(world, copy)] == [f"Linked: duplicate of {original}."]
    assert [e["message"] for e in _timeline(world, original)] == [f"Linked: duplicated by {copy}."]
    assert {e["actor"] for e in _timeline(world, copy)} == {"agent@example.com"}
    assert all(e["internal"] for e in _timeline(world, copy))
    # A requester following the incident is not told which incidents it is linked to.
    r = world.client.get(f"/api/v1/incidents/{copy}/timeline", headers=world.h("requester"))
    assert r.status_code == 200
    assert "linked" not in {e["kind"] for e in r.json()["items"]}
    # Linking is no edit of the incident: a form holding its version stays valid.
    detail = world.client.get(f"/api/v1/incidents/{copy}", headers=world.h("agent")).json()
    assert detail["version"] == 1


def test_the_same_link_twice_or_reversed_is_refused(world: World) -> None:
    a, b = _incident(world, "A"), _incident(world, "B")
    assert _link(world, "agent", a, b, "caused_by").status_code == 201
    again = _link(world, "agent", a, b, "caused_by")
    assert again.status_code == 409
    assert f"{a} and {b} are already linked as caused by" in again.json()["detail"]
    # B caused by A, while A is caused by B: the reverse of an existing link, refused too.
    assert _link(world, "agent", b, a, "caused_by").status_code == 409
    # Another kind between the same pair is a different statement.
    assert _link(world, "agent", b, a, "related").status_code == 201
    assert len(world.client.get(LINKS.format(a), headers=world.h("agent")).json()) == 2


def test_self_links_unknown_numbers_and_bad_kinds_get_a_sentence(world: World) -> None:
    a = _incident(world, "A")
    r = _link(world, "agent", a, a)
    assert r.status_code == 422
    assert f"{a} cannot be linked to itself" in r.json()["detail"]
    r = _link(world, "agent", a, "INC0009999")
    assert r.status_code == 422
    assert "There is no incident 'INC0009999' you can link to" in r.json()["detail"]
    r = _link(world, "agent", a, "INC0001001", "blocks")
    assert r.status_code == 422
    assert "`kind`" in r.json()["detail"]
    assert _link(world, "agent", "INC0009999", a).status_code == 404
    assert world.client.get(LINKS.format(a), headers=world.h("agent")).json() == []


def test_another_customers_incident_reads_as_unknown(world: World) -> None:
    mine = _incident(world, "Acme printer")
    theirs = _incident(world, "Globex printer", customer="globex")
    r = _link(world, "acme_agent", mine, theirs)
    assert r.status_code == 422
    assert f"There is no incident '{theirs}' you can link to" in r.json()["detail"]
    # The provider's agent sees both customers and may link them; a tenant's agent then
    # sees only its own side of the link.
    assert _link(world, "agent", mine, theirs).status_code == 201
    assert world.client.get(LINKS.format(mine), headers=world.h("acme_agent")).json() == []
    assert _link(world, "globex_agent", mine, theirs).status_code == 404


def test_requesters_cannot_link(world: World) -> None:
    a, b = _incident(world, "A"), _incident(world, "B")
    assert _link(world, "requester", a, b).status_code == 403


def test_unlinking_from_either_side_logs_both_and_is_audited(world: World) -> None:
    a, b = _incident(world, "A"), _incident(world, "B")
    link_id = _link(world, "agent", a, b).json()["link_id"]
    r = world.client.delete(f"{LINKS.format(b)}/{link_id}", headers=world.h("agent"))
    assert r.status_code == 204, r.text
    assert world.client.get(LINKS.format(a), headers=world.h("agent")).json() == []
    assert [e["message"] for e in _timeline(world, a)] == [
        f"Linked: related to {b}.",
        f"Unlinked: related to {b}.",
    ]
    assert [e["kind"] for e in _timeline(world, b)] == ["linked", "unlinked"]
    r = world.client.delete(f"{LINKS.format(b)}/{link_id}", headers=world.h("agent"))
    assert r.status_code == 404
    assert f"{b} has no link {link_id}" in r.json()["detail"]
    r = world.client.delete(f"{LINKS.format(b)}/{2**40}", headers=world.h("agent"))
    assert r.status_code in (404, 422)

    audit = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"limit": 200}
    ).json()["items"]
    actions = [(x["action"], x["data"].get("number")) for x in audit]
    for number in (a, b):
        assert ("incident.linked", number) in actions
        assert ("incident.unlinked", number) in actions
