"""The SMTP receiver over a real socket, driven by smtplib like a sending MTA."""

from __future__ import annotations

import smtplib
from concurrent.futures import Future
from email.message import EmailMessage

import pytest

from tests.conftest import make_user
from tocsin.alerts.items import Item, Outcome
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.bootstrap import Tocsin
from tocsin.receivers import Receivers
from tocsin.receivers.smtp_server import MAX_MESSAGE

from .conftest import create_integration

DOMAIN = "tocsin.example"


def mail(subject: str | None, *, sender: str = "alice@example.com", body: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "helpdesk@tocsin.example"
    if subject is not None:
        message["Subject"] = subject
    message.set_content(body or "Details follow.")
    return message.as_bytes()


def send(receivers: Receivers, recipients: list[str], data: bytes) -> None:
    assert receivers.smtp is not None
    assert receivers.smtp.port
    with smtplib.SMTP("127.0.0.1", receivers.smtp.port, timeout=10) as client:
        client.sendmail("alice@example.com", recipients, data)


def test_new_mail_opens_an_incident_before_the_250(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key
    make_user(app, admin, "alice@example.com", Role.REQUESTER)
    send(receivers, [f"{key}@{DOMAIN}"], mail("Printer on fire", body="Third floor."))

    # No polling: the 250 comes after the commit.
    (alert,) = app.alerts.list(admin, integration="helpdesk").items
    assert alert.incident is not None
    incident = app.incidents.get(admin, alert.incident.number)
    assert incident.title == "Printer on fire"
    assert incident.description == "Third floor."
    assert incident.requester == "alice@example.com"


def test_reply_comments_on_the_incident_it_names(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key
    address = f"{key}@{DOMAIN}"
    send(receivers, [address], mail("Printer on fire"))
    (alert,) = app.alerts.list(admin, integration="helpdesk").items
    assert alert.incident is not None
    number = alert.incident.number

    send(receivers, [address], mail(f"Re: [{number}] Printer on fire", body="Still burning."))

    assert app.incidents.count() == 1
    assert app.alerts.list(admin, integration="helpdesk").total == 1
    notes = app.incidents.notes(admin, number).items
    assert [note.body for note in notes] == ["Still burning."]


def test_several_recipients_reach_several_integrations(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    first = create_integration(app, admin, "email", "helpdesk").key
    second = create_integration(app, admin, "email", "facilities").key
    send(receivers, [f"{first}@{DOMAIN}", f"{second}@other.example"], mail("Door stuck"))
    assert app.alerts.list(admin, integration="helpdesk").total == 1
    assert app.alerts.list(admin, integration="facilities").total == 1


@pytest.mark.parametrize("mailbox", ["unknown", "syslog"])
def test_unknown_or_non_email_mailbox_gets_550(
    app: Tocsin, admin: Principal, receivers: Receivers, mailbox: str
) -> None:
    local = "0" * 32
    if mailbox == "syslog":
        local = create_integration(app, admin, "syslog", "hosts").key
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(receivers, [f"{local}@{DOMAIN}"], mail("Hello"))
    code, text = refused.value.recipients[f"{local}@{DOMAIN}"]
    assert (code, text) == (550, b"5.1.1 No such mailbox")
    assert app.alerts.list(admin).total == 0


def test_unparseable_mail_gets_554_and_stores_nothing(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(receivers, [f"{key}@{DOMAIN}"], mail(None))
    assert refused.value.smtp_code == 554
    error = refused.value.smtp_error
    assert isinstance(error, bytes)
    assert error.startswith(b"5.6.0 The message has no Subject")
    assert app.alerts.list(admin).total == 0
    assert app.incidents.count() == 0


def test_storage_failure_gets_451_and_the_retry_is_stored(
    app: Tocsin, admin: Principal, receivers: Receivers, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key

    def broken(items: list[Item]) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        future.set_exception(RuntimeError("the alert could not be stored"))
        return future

    with monkeypatch.context() as patch:
        patch.setattr(app.alerts, "submit", broken)
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            send(receivers, [f"{key}@{DOMAIN}"], mail("Printer on fire"))
    assert deferred.value.smtp_code == 451
    assert app.alerts.list(admin).total == 0

    send(receivers, [f"{key}@{DOMAIN}"], mail("Printer on fire"))  # the MTA's retry
    assert app.alerts.list(admin).total == 1


def test_auto_reply_is_accepted_and_ignored(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key
    data = mail("Out of office").replace(b"Subject:", b"Auto-Submitted: auto-replied\nSubject:")
    send(receivers, [f"{key}@{DOMAIN}"], data)
    assert app.alerts.list(admin).total == 0
    assert receivers.smtp is not None
    assert receivers.smtp.stats["ignored"] == 1


def test_mail_over_10_mb_is_refused(app: Tocsin, admin: Principal, receivers: Receivers) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key
    big = mail("Huge") + (b"y" * 75 + b"\n") * (MAX_MESSAGE // 76 + 1)
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(receivers, [f"{key}@{DOMAIN}"], big)
    assert refused.value.smtp_code == 552
    assert app.alerts.list(admin).total == 0
