"""The webhook channel and the transport's target checks, against a real HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.core.errors import ValidationFailed
from tocsin.notifications.channels.base import ChannelKind, Delivered, Failed, Target
from tocsin.notifications.signing import new_secret, verify
from tocsin.notifications.transport import Channels

from .conftest import LOCAL, Receiver, incident_message, make_channels

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_the_body_carries_the_event_the_incident_and_the_links(
    channels: Channels, receiver: Receiver
) -> None:
    message = incident_message()
    target = Target(ChannelKind.WEBHOOK, receiver.url("/hooks/tocsin"))
    assert channels.send(target, message) == Delivered(f"{LOCAL} answered HTTP 200")
    got = receiver.only()
    assert got.path == "/hooks/tocsin"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == "dlv_01HZX3"
    assert got.headers["webhook-timestamp"] == "1772461800"  # 2026-03-02T14:30:00Z
    assert "webhook-signature" not in got.headers
    assert json.loads(got.body) == {
        "id": "dlv_01HZX3",
        "type": "incident.created",
        "timestamp": "2026-03-02T14:30:00Z",
        "data": {
            "action": "created",
            "object_id": "42",
            "incident": message.incident,
            "links": message.links,
        },
    }


def test_the_signature_verifies_and_matches_an_independent_hmac(
    channels: Channels, receiver: Receiver, clock: FrozenClock
) -> None:
    target = Target(ChannelKind.WEBHOOK, receiver.url("/in"), secret=SECRET)
    assert isinstance(channels.send(target, incident_message("dlv_sig")), Delivered)
    got = receiver.only()
    msg_id, stamp, signature = (
        got.headers["webhook-id"],
        got.headers["webhook-timestamp"],
        got.headers["webhook-signature"],
    )
    verify(SECRET, msg_id, stamp, got.body, signature, now=clock.now().timestamp())
    mac = hmac.new(b"k" * 32, f"{msg_id}.{stamp}.".encode() + got.body, hashlib.sha256)
    assert signature == "v1," + base64.b64encode(mac.digest()).decode()


def test_a_retried_delivery_keeps_its_id(channels: Channels, receiver: Receiver) -> None:
    target = Target(ChannelKind.WEBHOOK, receiver.url("/in"), secret=SECRET)
    channels.send(target, incident_message("dlv_same"))
    channels.send(target, incident_message("dlv_same"))
    assert [r.headers["webhook-id"] for r in receiver.received] == ["dlv_same", "dlv_same"]


def test_an_unusable_secret_fails_without_sending(channels: Channels, receiver: Receiver) -> None:
    target = Target(ChannelKind.WEBHOOK, receiver.url("/in"), secret="not-a-secret")
    outcome = channels.send(target, incident_message())
    assert outcome == Failed(
        "the webhook's signing secret is unusable: "
        "a webhook secret starts with 'whsec_' followed by base64"
    )
    assert receiver.received == []


def test_a_refused_webhook_url_fails(clock: FrozenClock, receiver: Receiver) -> None:
    closed = make_channels(clock, outbound_allow="")
    try:
        outcome = closed.send(Target(ChannelKind.WEBHOOK, receiver.url("/in")), incident_message())
    finally:
        closed.close()
    assert isinstance(outcome, Failed)
    assert "127.0.0.1 is a loopback address" in outcome.reason
    assert receiver.received == []


@pytest.mark.parametrize(
    ("target", "field", "sentence"),
    [
        (Target(ChannelKind.EMAIL, "not an address"), "address", "is not an e-mail address"),
        (Target(ChannelKind.SMS, "0151 1234567"), "address", "international (E.164) form"),
        (Target(ChannelKind.SMS, "+0151234567"), "address", "E.164"),
        (Target(ChannelKind.WEBHOOK, "ftp://hooks.example/x"), "address", "not an http://"),
        (Target(ChannelKind.SLACK, "http://10.1.2.3/hook"), "address", "a private address"),
        (Target(ChannelKind.TEAMS, "http://localhost:8080/"), "address", "a loopback address"),
        (Target(ChannelKind.NTFY, "http://[::ffff:169.254.169.254]/t"), "address", "link-local"),
        (Target(ChannelKind.WEBHOOK, "https://x.invalid/h"), "address", "does not resolve"),
        (Target(ChannelKind.WEBHOOK, "http://1.1.1.1/", secret="whsec_!"), "secret", "base64"),
    ],
)
def test_check_target_refuses_with_a_sentence_and_the_field(
    clock: FrozenClock, target: Target, field: str, sentence: str
) -> None:
    checker = make_channels(clock, outbound_allow="")
    try:
        with pytest.raises(ValidationFailed) as refused:
            checker.check_target(target)
    finally:
        checker.close()
    assert refused.value.field == field
    assert sentence in refused.value.detail


@pytest.mark.parametrize(
    "target",
    [
        Target(ChannelKind.EMAIL, "oncall@example.com"),
        Target(ChannelKind.SMS, "+4915112345678"),
        Target(ChannelKind.WEBHOOK, "https://1.1.1.1/hook", secret=new_secret()),
        Target(ChannelKind.NTFY, "http://127.0.0.1:8080/alerts"),
    ],
)
def test_check_target_accepts_good_targets(channels: Channels, target: Target) -> None:
    channels.check_target(target)


def test_one_channels_object_serves_a_thread_pool(channels: Channels, receiver: Receiver) -> None:
    target = Target(ChannelKind.WEBHOOK, receiver.url("/in"), secret=SECRET)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(
            pool.map(lambda n: channels.send(target, incident_message(f"dlv_{n}")), range(40))
        )
    assert all(isinstance(outcome, Delivered) for outcome in outcomes)
    ids = sorted(r.headers["webhook-id"] for r in receiver.received)
    assert ids == sorted(f"dlv_{n}" for n in range(40))
