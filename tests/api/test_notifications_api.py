"""Contact methods, notification rules and settings, shared channels and the delivery queue
through the API: who may manage whose, sentences for bad input, secrets never echoed."""

from __future__ import annotations

from typing import Any

from .conftest import World

CM = "/api/v1/users/{}/contact-methods"
PUBLIC_HOOK = "https://93.184.215.14/hook"  # a public address, never contacted here


def post_method(world: World, who: str, ref: str, body: dict[str, Any]) -> Any:
    return world.client.post(CM.format(ref), json=body, headers=world.h(who))


def test_a_user_manages_their_own_contact_methods(world: World) -> None:
    made = post_method(
        world, "agent", "me", {"type": "email", "address": "Pager@Example.com", "label": "pager"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["address"], body["user"], body["enabled"]) == (
        "pager@example.com",
        "agent@example.com",
        True,
    )
    listed = world.client.get(CM.format("agent@example.com"), headers=world.h("agent")).json()
    assert [m["id"] for m in listed["items"]] == [body["id"]]
    patched = world.client.patch(
        CM.format("me") + f"/{body['id']}", json={"label": "phone"}, headers=world.h("agent")
    )
    assert patched.json()["label"] == "phone"
    tested = world.client.post(CM.format("me") + f"/{body['id']}/test", headers=world.h("agent"))
    assert tested.status_code == 202
    assert tested.json()["delivery"].startswith("dlv_")
    gone = world.client.delete(CM.format("me") + f"/{body['id']}", headers=world.h("agent"))
    assert gone.status_code == 204
    assert world.client.get(CM.format("me"), headers=world.h("agent")).json()["items"] == []


def test_secrets_are_never_echoed(world: World) -> None:
    secret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5"
    made = post_method(
        world, "agent", "me", {"type": "webhook", "address": PUBLIC_HOOK, "secret": secret}
    )
    assert made.status_code == 201, made.text
    assert made.json()["has_secret"] is True
    assert secret not in made.text
    listed = world.client.get(CM.format("me"), headers=world.h("agent"))
    assert secret not in listed.text
    assert listed.json()["items"][0]["has_secret"] is True


def test_a_private_address_is_refused_when_saved(world: World) -> None:
    answer = post_method(
        world, "agent", "me", {"type": "webhook", "address": "http://10.0.0.5/hook"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "10.0.0.5" in answer.json()["detail"]
    assert world.client.get(CM.format("me"), headers=world.h("agent")).json()["items"] == []


def test_bad_input_is_answered_with_sentences(world: World) -> None:
    bad_type = post_method(world, "agent", "me", {"type": "pigeon", "address": "x"})
    assert bad_type.status_code == 422
    bad_mail = post_method(world, "agent", "me", {"type": "email", "address": "not-mail"})
    assert bad_mail.status_code == 422
    assert "e-mail" in bad_mail.json()["detail"]
    settings = "/api/v1/users/me/notification-settings"
    half = world.client.put(settings, json={"quiet_start": "22:00"}, headers=world.h("agent"))
    assert half.status_code == 422
    assert "both" in half.json()["detail"]
    wrong = world.client.put(
        settings, json={"quiet_start": "25:00", "quiet_end": "07:00"}, headers=world.h("agent")
    )
    assert wrong.status_code == 422
    assert "HH:MM" in wrong.text
    zone = world.client.put(settings, json={"time_zone": "Mars/Olympus"}, headers=world.h("agent"))
    assert zone.status_code == 422
    rule = world.client.post(
        "/api/v1/users/me/notification-rules",
        json={"contact_method": 999, "delay_minutes": 0},
        headers=world.h("agent"),
    )
    assert rule.status_code == 422
    assert "no contact method 999" in rule.json()["detail"]
    negative = world.client.post(
        "/api/v1/users/me/notification-rules",
        json={"contact_method": 1, "delay_minutes": -1},
        headers=world.h("agent"),
    )
    assert negative.status_code == 422


def test_rules_and_settings_round_trip(world: World) -> None:
    cm = post_method(world, "agent", "me", {"type": "email", "address": "a@example.com"}).json()
    rules = "/api/v1/users/me/notification-rules"
    made = world.client.post(
        rules, json={"contact_method": cm["id"], "delay_minutes": 5}, headers=world.h("agent")
    )
    assert made.status_code == 201
    assert (
        world.client.get(rules, headers=world.h("agent")).json()["items"][0]["delay_minutes"] == 5
    )
    assert (
        world.client.delete(f"{rules}/{made.json()['id']}", headers=world.h("agent")).status_code
        == 204
    )
    settings = "/api/v1/users/me/notification-settings"
    body = {
        "time_zone": "Europe/Berlin",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "quiet_min_priority": 4,
    }
    assert world.client.put(settings, json=body, headers=world.h("agent")).json() == body
    assert world.client.get(settings, headers=world.h("agent")).json() == body


def test_only_administrators_manage_someone_elses(world: World) -> None:
    body = {"type": "email", "address": "alice.pager@acme.test"}
    # a colleague may not
    assert post_method(world, "agent", "alice@acme.test", body).status_code == 403
    # the tenant's administrator and the provider's may
    assert post_method(world, "acme_admin", "alice@acme.test", body).status_code == 201
    assert post_method(world, "admin", "bob@acme.test", body).status_code == 201
    # another tenant's staff do not even see the user
    assert post_method(world, "globex_agent", "alice@acme.test", body).status_code == 404
    assert (
        world.client.get(CM.format("alice@acme.test"), headers=world.h("globex_agent")).status_code
        == 404
    )
    # a tenant's administrator does not reach the provider's people
    assert post_method(world, "acme_admin", "agent@example.com", body).status_code == 404


def test_channels_stay_within_their_customer(world: World) -> None:
    body = {
        "name": "Acme ops chat",
        "slug": "acme-chat",
        "type": "slack",
        "address": "https://93.184.215.14/services/T000/B000/XXXXSECRET",
        "service": "acme-web",
        "events": ["incident.created", "incident.resolved"],
    }
    made = world.client.post("/api/v1/channels", json=body, headers=world.h("acme_manager"))
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["customer"], out["service"], out["events"]) == (
        "acme",
        "acme-web",
        ["incident.created", "incident.resolved"],
    )
    # a chat webhook's URL is its credential: not shown whole
    assert "XXXXSECRET" not in made.text
    assert (
        world.client.get("/api/v1/channels/acme-chat", headers=world.h("admin")).status_code == 200
    )
    assert (
        world.client.get("/api/v1/channels/acme-chat", headers=world.h("globex_agent")).status_code
        == 404
    )
    assert (
        world.client.get("/api/v1/channels", headers=world.h("globex_agent")).json()["items"] == []
    )
    private = world.client.post(
        "/api/v1/channels",
        json={**body, "slug": "inside", "address": "http://192.168.1.10/hook"},
        headers=world.h("acme_manager"),
    )
    assert private.status_code == 422
    other_tenant = world.client.post(
        "/api/v1/channels",
        json={**body, "slug": "theirs", "service": "globex-erp"},
        headers=world.h("acme_manager"),
    )
    assert other_tenant.status_code in (404, 422)
    again = world.client.post("/api/v1/channels", json=body, headers=world.h("acme_manager"))
    assert again.status_code == 409
    patched = world.client.patch(
        "/api/v1/channels/acme-chat", json={"enabled": False}, headers=world.h("acme_manager")
    )
    assert patched.json()["enabled"] is False
    assert (
        world.client.delete(
            "/api/v1/channels/acme-chat", headers=world.h("acme_manager")
        ).status_code
        == 204
    )


def test_the_delivery_queue_is_tenant_scoped(world: World) -> None:
    post_method(world, "acme_admin", "alice@acme.test", {"type": "email", "address": "p@acme.test"})
    acme_cm = world.client.get(CM.format("alice@acme.test"), headers=world.h("acme_admin")).json()
    world.client.post(
        CM.format("alice@acme.test") + f"/{acme_cm['items'][0]['id']}/test",
        headers=world.h("acme_admin"),
    )
    post_method(world, "agent", "me", {"type": "email", "address": "mine@example.com"})
    mine = world.client.get(CM.format("me"), headers=world.h("agent")).json()["items"][0]
    world.client.post(CM.format("me") + f"/{mine['id']}/test", headers=world.h("agent"))
    everyone = world.client.get("/api/v1/deliveries", headers=world.h("admin")).json()
    assert everyone["total"] == 2
    acme = world.client.get("/api/v1/deliveries", headers=world.h("acme_agent")).json()
    assert [d["user"] for d in acme["items"]] == ["alice@acme.test"]
    assert (
        world.client.get("/api/v1/deliveries", headers=world.h("globex_agent")).json()["total"] == 0
    )
    assert world.client.get("/api/v1/deliveries", headers=world.h("requester")).status_code == 403
    bad = world.client.get("/api/v1/deliveries?status=lost", headers=world.h("admin"))
    assert bad.status_code == 422
    pending = acme["items"][0]["id"]
    # only a failed delivery is retried; another tenant's is not there
    assert (
        world.client.post(
            f"/api/v1/deliveries/{pending}/retry", headers=world.h("admin")
        ).status_code
        == 409
    )
    providers = next(d for d in everyone["items"] if d["user"] == "agent@example.com")
    theirs = world.client.post(
        f"/api/v1/deliveries/{providers['id']}/retry", headers=world.h("acme_manager")
    )
    assert theirs.status_code == 404
    assert (
        world.client.post(
            "/api/v1/deliveries/dlv_nothing/retry", headers=world.h("admin")
        ).status_code
        == 404
    )


def test_a_channel_slug_follows_the_rule_of_every_slug(world: World) -> None:
    """Slugs unique per customer (auth/slugs.py): the named customer's, else the
    provider's; without a customer the only one, else the caller names the customer."""
    body = {"name": "Chat", "type": "webhook", "address": "https://93.184.215.14/hook"}
    for customer in ("acme", "globex"):
        r = world.client.post(
            "/api/v1/channels",
            json={**body, "slug": "chat", "customer": customer},
            headers=world.h("admin"),
        )
        assert r.status_code == 201, r.text
    r = world.client.get("/api/v1/channels/chat", headers=world.h("admin"))
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "Customers acme, globex each have a channel 'chat'; name the customer (customer=acme)."
    )
    assert r.json()["field"] == "customer"
    r = world.client.get("/api/v1/channels/chat?customer=globex", headers=world.h("admin"))
    assert r.json()["customer"] == "globex"
    r = world.client.get("/api/v1/channels/nope?customer=acme", headers=world.h("admin"))
    assert r.status_code == 404
    assert r.json()["detail"] == "There is no channel 'nope' for customer acme."
