"""Replying "ack" or "resolve" to a notification, through the real SMTP receiver."""

from __future__ import annotations

from tests.conftest import make_user
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.bootstrap import Tocsin
from tocsin.receivers import Receivers

from .conftest import create_integration
from .test_smtp_server import DOMAIN, mail, send


def opened(app: Tocsin, admin: Principal, receivers: Receivers) -> tuple[str, str]:
    """The helpdesk's address, and the number of an incident a mail opened there."""
    key = create_integration(app, admin, "email", "helpdesk").key
    address = f"{key}@{DOMAIN}"
    send(receivers, [address], mail("Printer on fire"))
    (alert,) = app.alerts.list(admin, integration="helpdesk").items
    assert alert.incident is not None
    return address, alert.incident.number


def test_ack_from_a_known_agent_acknowledges(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    make_user(app, admin, "oncall@example.com", Role.AGENT)
    address, number = opened(app, admin, receivers)
    body = "Ack\n\nOn Monday, Tocsin wrote:\n> INC opened: Printer on fire\n"
    send(
        receivers,
        [address],
        mail(f"Re: [{number}] Printer on fire", sender="oncall@example.com", body=body),
    )

    incident = app.incidents.get(admin, number)
    assert incident.state.value == "in_progress"
    assert incident.assignee == "oncall@example.com"
    last = app.incidents.timeline(admin, number).items[-1]
    assert (last.kind, last.actor) == ("acknowledge", "oncall@example.com")
    assert "e-mail reply" in last.message
    assert app.incidents.notes(admin, number).items == []


def test_resolve_from_a_known_agent_resolves(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    make_user(app, admin, "oncall@example.com", Role.AGENT)
    address, number = opened(app, admin, receivers)
    send(receivers, [address], mail(f"RE: {number}", sender="OnCall@Example.com", body="resolved."))

    incident = app.incidents.get(admin, number)
    assert incident.state.value == "resolved"
    assert incident.resolution_notes == "Resolved by e-mail reply"


def test_ack_from_an_unknown_address_is_a_comment(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    address, number = opened(app, admin, receivers)
    before = app.incidents.get(admin, number)
    send(
        receivers,
        [address],
        mail(f"Re: [{number}] Printer on fire", sender="mallory@evil.test", body="ack"),
    )

    after = app.incidents.get(admin, number)
    assert (after.state, after.version) == (before.state, before.version)
    notes = app.incidents.notes(admin, number).items
    assert [(note.body, note.author) for note in notes] == [("ack", "system:integration:helpdesk")]
