"""A reply's first line asking for an action (`tocsin.integrations.email`, details.command)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tests.integrations.helpers import RECEIVED_AT
from tocsin.integrations import email as mail
from tocsin.integrations.base import NormalizedAlert


def reply(
    body: str, *, subject: str = "Re: [INC0001234] Printer on fire", html: bool = False
) -> NormalizedAlert:
    msg = EmailMessage()
    msg["From"] = "Agent <Agent@Example.com>"
    msg["To"] = "helpdesk@tocsin.example.internal"
    msg["Subject"] = subject
    if html:
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    (alert,) = mail.parse(msg.as_bytes(), headers={}, received_at=RECEIVED_AT, config={}).alerts
    return alert


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("ack", "acknowledge"),
        ("ACK!\n", "acknowledge"),
        ("\n\n  Acknowledge.  \n\nOn Monday Tocsin wrote:\n> INC0001234 opened", "acknowledge"),
        ("resolve", "resolve"),
        ("Resolved.\n-- \nAgent", "resolve"),
        ("resolved!?", "resolve"),
    ],
)
def test_a_first_line_asking_for_an_action(body: str, command: str) -> None:
    alert = reply(body)
    assert alert.details == {"command": command}
    assert alert.reply_to == "INC0001234"


@pytest.mark.parametrize(
    "body",
    [
        "Hi,\nack",  # only the first non-empty line counts
        "ack, but the disk is still full",
        "acknowledged by the vendor",
        "> ack",  # a quoted line is not the sender's word
        "unresolved",
        "",
    ],
)
def test_anything_else_asks_nothing(body: str) -> None:
    assert "command" not in reply(body).details


def test_a_command_needs_a_reply_to_an_incident() -> None:
    assert "command" not in reply("ack", subject="Printer on fire").details


def test_an_html_reply_counts_its_first_line() -> None:
    assert reply("<div>Ack</div><div>On Monday Tocsin wrote</div>", html=True).details == {
        "command": "acknowledge"
    }
