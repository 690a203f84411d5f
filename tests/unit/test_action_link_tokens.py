"""Action link tokens (`tocsin.paging.links`): signed, carrying their claim, expiring by
the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from tocsin.core.clock import FrozenClock
from tocsin.incidents.lifecycle import Action
from tocsin.paging.links import SALT, ActionLinks, LinkGone, LinkInvalid
from tocsin.web.sessions import SessionCodec

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make(secret: str = "s3cret", clock: FrozenClock | None = None) -> ActionLinks:
    return ActionLinks(
        secret, clock or FrozenClock(START), "https://t.example/", timedelta(hours=24)
    )


def token_of(url: str) -> str:
    prefix = "https://t.example/act/"
    assert url.startswith(prefix)
    return url.removeprefix(prefix)


def test_a_token_carries_its_claim() -> None:
    links = make()
    urls = links.links_for(incident_id=7, number="INC0001007", user_id=3, delivery_id="abc")
    assert urls["view"] == "https://t.example/incidents/INC0001007"
    ack, resolve = links.read(token_of(urls["acknowledge"])), links.read(token_of(urls["resolve"]))
    assert (ack.incident_id, ack.action, ack.user_id, ack.delivery_id) == (
        7,
        Action.ACKNOWLEDGE,
        3,
        "abc",
    )
    assert resolve.action is Action.RESOLVE
    assert ack.link_id != resolve.link_id
    assert ack.expires_at == START + timedelta(hours=24)
    shared = links.links_for(incident_id=7, number="INC0001007", user_id=None, delivery_id="x")
    assert links.read(token_of(shared["acknowledge"])).user_id is None


def test_expiry_follows_the_injected_clock() -> None:
    clock = FrozenClock(START)
    links = make(clock=clock)
    token = token_of(
        links.links_for(incident_id=1, number="INC0000001", user_id=1, delivery_id="d")["resolve"]
    )
    clock.set(START + timedelta(hours=24) - timedelta(seconds=1))
    links.read(token)
    clock.set(START + timedelta(hours=24))
    with pytest.raises(LinkGone, match="expired on 2026-03-03 09:00 UTC"):
        links.read(token)


def test_what_this_install_did_not_sign_is_invalid() -> None:
    links = make()
    foreign = make(secret="another install")
    token = token_of(
        foreign.links_for(incident_id=1, number="INC0000001", user_id=1, delivery_id="d")[
            "acknowledge"
        ]
    )
    forged = [
        token,
        # the same secret with another purpose: a session cookie is no link
        SessionCodec("s3cret", max_age=60).issue(1, "nonce"),
        # signed right, shaped wrong
        URLSafeSerializer("s3cret", salt=SALT).dumps(["id", 1, "close", 1, "d", 2**40]),
        URLSafeSerializer("s3cret", salt=SALT).dumps({"incident": 1}),
        "",
        "x" * 5000,
    ]
    for bad in forged:
        with pytest.raises(LinkInvalid):
            links.read(bad)


def test_the_confirm_code_belongs_to_its_token() -> None:
    links = make()
    urls = links.links_for(incident_id=1, number="INC0000001", user_id=1, delivery_id="d")
    ack, resolve = token_of(urls["acknowledge"]), token_of(urls["resolve"])
    assert links.confirm_ok(ack, links.confirm_code(ack))
    assert not links.confirm_ok(ack, links.confirm_code(resolve))
    assert not links.confirm_ok(ack, make(secret="other").confirm_code(ack))
    assert not links.confirm_ok(ack, "")
    assert not links.confirm_ok(ack, "\udcff")


def test_a_delivery_id_longer_than_the_table_holds_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 200"):
        make().links_for(incident_id=1, number="INC0000001", user_id=1, delivery_id="d" * 201)
