"""E-mail to incident (`tocsin.integrations.email`)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from tests.integrations.helpers import RECEIVED_AT, sample
from tocsin.integrations import email as mail
from tocsin.integrations.base import AlertAction, NormalizedAlert, Parsed, PayloadError, Severity


def run(body: bytes, config: dict[str, Any] | None = None) -> Parsed:
    return mail.parse(body, headers={}, received_at=RECEIVED_AT, config=config or {})


def alert_of(body: bytes, config: dict[str, Any] | None = None) -> NormalizedAlert:
    (alert,) = run(body, config).alerts
    return alert


def message(subject: str | None = "Printer on fire", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Alice <Alice@Example.com>")
    msg["To"] = "helpdesk@tocsin.example.internal"
    if subject is not None:
        msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("It smokes.\n")
    return msg


def test_a_plain_message() -> None:
    alert = alert_of(sample("email", "0001_plain.eml"))
    assert alert.action is AlertAction.TRIGGER
    assert alert.dedup_key == "email:20261128040110.12345@mail.example.com"
    assert alert.summary == "Printer on fire"
    assert alert.reporter == "alice.martin@example.com"
    assert alert.reply_to is None
    assert alert.severity is Severity.WARNING
    assert alert.description.startswith("Hello,\n\nthe printer on the 3rd floor")


def test_a_multipart_reply_with_an_incident_number() -> None:
    alert = alert_of(sample("email", "0002_reply_multipart.eml"))
    assert alert.summary == "Re: [INC0001234] Imprimante en feu — toujours pas réparée"
    assert alert.reply_to == "INC0001234"
    assert alert.reporter == "francois.levy@example.com"
    assert alert.description.startswith(
        "Bonjour,\n\nl'imprimante fume encore ce matin — photo jointe."
    )
    assert "<div>" not in alert.description  # the text/plain part, not the HTML one
    assert alert.labels == {
        "from": "francois.levy@example.com",
        "to": "helpdesk@tocsin.example.internal, facilities@example.com",
    }
    assert alert.details == {
        "attachments": [{"filename": "printer.png", "content_type": "image/png", "size": 66}]
    }


def test_an_html_only_message_gives_its_text() -> None:
    alert = alert_of(sample("email", "0003_html_only.eml"))
    assert alert.description == (
        "VPN gateway unreachable\n\nHost vpn-gw-01 did not answer for 5 minutes.\n\n"
        "Café network & branch offices are affected."
    )


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Re: [INC0001234] Printer on fire", "INC0001234"),
        ("RE: inc0000042 still broken", "INC0000042"),
        ("Fwd: INC0001234/INC0005678", "INC0001234"),
        ("INC00012345 has eight digits", None),
        ("XINC0001234 is glued", None),
        ("No number", None),
    ],
)
def test_the_incident_number_in_the_subject(subject: str, number: str | None) -> None:
    assert alert_of(message(subject).as_bytes()).reply_to == number


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
    ],
)
def test_automatic_replies_raise_nothing(headers: dict[str, str]) -> None:
    assert run(message(**headers).as_bytes()) == Parsed(alerts=[], ignored={"auto_reply": 1})
    assert run(sample("email", "0004_out_of_office.eml")).ignored == {"auto_reply": 1}
    assert run(message(Auto_Submitted="no").as_bytes()).alerts


def test_without_message_id_the_service_makes_the_key() -> None:
    assert alert_of(message().as_bytes()).dedup_key is None
    long_id = "<" + "x" * 300 + "@example.com>"
    key = alert_of(message(Message_ID=long_id).as_bytes()).dedup_key
    assert key is not None
    assert key.startswith("email:sha256:")
    assert len(key) == 6 + 7 + 64


def test_the_description_is_cut_at_100000_characters() -> None:
    msg = message()
    msg.set_content("y" * 150_000)
    assert len(alert_of(msg.as_bytes()).description) == 100_000


def test_severity_comes_from_the_configuration() -> None:
    assert alert_of(message().as_bytes(), {"severity": "critical"}).severity is Severity.CRITICAL
    assert mail.check_config({"severity": "pink"})
    with pytest.raises(PayloadError) as caught:
        run(message().as_bytes(), {"severity": "pink"})
    assert caught.value.status == 500


def test_malformed_mail_still_gives_an_alert() -> None:
    body = (
        b"From: broken <bob@example.com\r\nSubject: =?unknown-8?Q?caf=E9?= help\r\n"
        b"Content-Type: multipart/mixed; boundary=nowhere\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n!!! not base64 and no boundary \xff\xfe"
    )
    alert = alert_of(body)
    assert alert.reporter == "bob@example.com"
    assert "help" in alert.summary


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        (
            b"Subject: hello\r\n\r\nbody",
            "From",
            "The message has no From address, so nobody can be answered.",
        ),
        (
            b"From: not an address\r\nSubject: x\r\n\r\n",
            "From",
            "The message has no From address, so nobody can be answered.",
        ),
        (
            b"From: a@example.com\r\n\r\nbody",
            "Subject",
            "The message has no Subject; say in it what the problem is.",
        ),
        (
            b"From: a@example.com\r\nSubject:   \r\n\r\nbody",
            "Subject",
            "The message has no Subject; say in it what the problem is.",
        ),
        (b"", "From", "The message has no From address, so nobody can be answered."),
    ],
)
def test_without_from_or_subject_it_is_refused(body: bytes, field: str, text: str) -> None:
    with pytest.raises(PayloadError) as caught:
        run(body)
    assert (caught.value.status, caught.value.message) == (400, text)
    assert caught.value.errors[0].field == field


def test_over_25_mb_is_refused_with_413() -> None:
    with pytest.raises(PayloadError) as caught:
        run(b"x" * (25 * 1024 * 1024 + 1))
    assert caught.value.status == 413
