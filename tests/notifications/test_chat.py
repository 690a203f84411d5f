"""Slack, Teams, ntfy and SMS against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from email.header import decode_header
from typing import Any
from urllib.parse import parse_qs

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.notifications.channels.base import ChannelKind, Delivered, Failed, Gone, Target
from tocsin.notifications.transport import Channels

from .conftest import LOCAL, Receiver, Reply, incident_message, make_channels

LINKS = incident_message().links


def test_slack_text_blocks_and_link_buttons(channels: Channels, receiver: Receiver) -> None:
    outcome = channels.send(
        Target(ChannelKind.SLACK, receiver.url("/services/T/B/x")), incident_message()
    )
    assert outcome == Delivered(f"{LOCAL} answered HTTP 200")
    got = receiver.only()
    assert got.headers["content-type"] == "application/json"
    payload = json.loads(got.body)
    assert payload["text"] == "[INC0001234] P1 Database down (Tocsin delivery dlv_01HZX3)"
    head, fields, buttons, context = payload["blocks"]
    assert head["text"]["text"] == (
        f"*<{LINKS['view']}|[INC0001234] P1 Database down>*\n"
        "The primary stopped answering &lt;queries&gt; &amp; replicas lag."
    )
    assert {"type": "mrkdwn", "text": "*Service*\nbilling-db"} in fields["fields"]
    assert {"type": "mrkdwn", "text": "*Priority*\nP1"} in fields["fields"]
    assert buttons["type"] == "actions"
    assert [(b["type"], b["text"]["text"], b["url"]) for b in buttons["elements"]] == [
        ("button", "View incident", LINKS["view"]),
        ("button", "Acknowledge", LINKS["acknowledge"]),
        ("button", "Resolve", LINKS["resolve"]),
    ]
    assert context["elements"][0]["text"] == "Tocsin delivery dlv_01HZX3"


def test_slack_archived_channel_is_gone(channels: Channels, receiver: Receiver) -> None:
    receiver.replies["/hook"] = Reply(410, body=b"channel_is_archived")
    outcome = channels.send(Target(ChannelKind.SLACK, receiver.url("/hook")), incident_message())
    assert outcome == Gone(f"{LOCAL} answered HTTP 410 (Gone): channel_is_archived")


def test_teams_adaptive_card(channels: Channels, receiver: Receiver) -> None:
    outcome = channels.send(
        Target(ChannelKind.TEAMS, receiver.url("/workflows/x")), incident_message()
    )
    assert isinstance(outcome, Delivered)
    payload = json.loads(receiver.only().body)
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, text, fact_set, foot = card["body"]
    assert title == {
        "type": "TextBlock",
        "text": "[INC0001234] P1 Database down",
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
        "color": "Attention",
    }
    assert text["text"] == incident_message().body
    assert {"title": "State", "value": "new"} in fact_set["facts"]
    assert foot["text"] == "Tocsin delivery dlv_01HZX3"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "View incident", "url": LINKS["view"]},
        {"type": "Action.OpenUrl", "title": "Acknowledge", "url": LINKS["acknowledge"]},
        {"type": "Action.OpenUrl", "title": "Resolve", "url": LINKS["resolve"]},
    ]


def test_ntfy_headers_and_body(channels: Channels, receiver: Receiver) -> None:
    target = Target(ChannelKind.NTFY, receiver.url("/tocsin-oncall"), secret="tk_abc")
    assert isinstance(channels.send(target, incident_message()), Delivered)
    got = receiver.only()
    assert got.headers["title"] == "[INC0001234] P1 Database down"
    assert got.headers["priority"] == "5"
    assert got.headers["tags"] == "rotating_light,INC0001234"
    assert got.headers["click"] == LINKS["view"]
    assert got.headers["actions"] == (
        f"view, Acknowledge, {LINKS['acknowledge']}; view, Resolve, {LINKS['resolve']}"
    )
    assert got.headers["authorization"] == "Bearer tk_abc"
    assert got.body.decode() == f"{incident_message().body}\n\nTocsin delivery dlv_01HZX3"


@pytest.mark.parametrize(("level", "ntfy"), [(1, "5"), (2, "4"), (3, "3"), (4, "2"), (5, "2")])
def test_ntfy_priority_follows_the_incident(
    channels: Channels, receiver: Receiver, level: int, ntfy: str
) -> None:
    base = incident_message()
    message = replace(base, incident={**(base.incident or {}), "priority": level})
    channels.send(Target(ChannelKind.NTFY, receiver.url("/t")), message)
    got = receiver.only()
    assert got.headers["priority"] == ntfy
    assert "authorization" not in got.headers


def test_ntfy_title_outside_ascii_is_encoded(channels: Channels, receiver: Receiver) -> None:
    message = replace(incident_message(), subject="Kühlung ausgefallen")
    channels.send(Target(ChannelKind.NTFY, receiver.url("/t")), message)
    ((raw, charset),) = decode_header(receiver.only().headers["title"])
    assert isinstance(raw, bytes)
    assert raw.decode(charset or "ascii") == "[INC0001234] P1 Kühlung ausgefallen"


def sms_channels(clock: FrozenClock, receiver: Receiver, **config: Any) -> Channels:
    settings = {
        "sms_gateway_url": receiver.url("/"),
        "sms_account_sid": "AC123",
        "sms_auth_token": "tok en",
        "sms_from": "+15005550006",
    }
    settings.update(config)
    return make_channels(clock, **settings)


def test_sms_twilio_form_and_basic_auth(clock: FrozenClock, receiver: Receiver) -> None:
    receiver.replies["/2010-04-01/Accounts/AC123/Messages.json"] = Reply(201, body=b'{"sid":"SM1"}')
    channels = sms_channels(clock, receiver)
    try:
        outcome = channels.send(Target(ChannelKind.SMS, "+4915112345678"), incident_message())
    finally:
        channels.close()
    assert outcome == Delivered(f"{LOCAL} answered HTTP 201")
    got = receiver.only()
    assert got.path == "/2010-04-01/Accounts/AC123/Messages.json"
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert got.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:tok en").decode()
    form = {k: v for k, (v,) in parse_qs(got.body.decode()).items()}
    assert form == {
        "To": "+4915112345678",
        "From": "+15005550006",
        "Body": f"[INC0001234] P1 Database down Ack: {LINKS['acknowledge']} (dlv_01HZX3)",
    }


def test_sms_body_stays_short_and_keeps_the_link(clock: FrozenClock, receiver: Receiver) -> None:
    channels = sms_channels(clock, receiver)
    try:
        channels.send(
            Target(ChannelKind.SMS, "+4915112345678"),
            replace(incident_message(), subject="x" * 1000),
        )
    finally:
        channels.close()
    (body,) = parse_qs(receiver.only().body.decode())["Body"]
    assert len(body) <= 300
    assert body.endswith(f"… Ack: {LINKS['acknowledge']} (dlv_01HZX3)")


def test_sms_refused_number_fails(clock: FrozenClock, receiver: Receiver) -> None:
    path = "/2010-04-01/Accounts/AC123/Messages.json"
    receiver.replies[path] = Reply(400, body=b'{"code": 21211, "message": "Invalid To"}')
    channels = sms_channels(clock, receiver)
    try:
        outcome = channels.send(Target(ChannelKind.SMS, "+4915112345678"), incident_message())
    finally:
        channels.close()
    assert outcome == Failed(
        f'{LOCAL} answered HTTP 400: {{"code": 21211, "message": "Invalid To"}}'
    )


def test_sms_without_a_gateway_fails_with_the_settings_to_set(
    clock: FrozenClock, receiver: Receiver
) -> None:
    channels = sms_channels(clock, receiver, sms_gateway_url="")
    try:
        outcome = channels.send(Target(ChannelKind.SMS, "+4915112345678"), incident_message())
    finally:
        channels.close()
    assert outcome == Failed(
        "SMS is not configured: set TOCSIN_SMS_GATEWAY_URL, TOCSIN_SMS_ACCOUNT_SID, "
        "TOCSIN_SMS_AUTH_TOKEN and TOCSIN_SMS_FROM"
    )
    assert receiver.received == []
