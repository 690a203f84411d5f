"""The e-mail channel against real aiosmtpd servers: plain, STARTTLS, TLS, AUTH, refusals."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tocsin.core.clock import FrozenClock
from tocsin.notifications.channels.base import ChannelKind, Delivered, Failed, Retry, Target
from tocsin.notifications.transport import Channels

from .conftest import LOCAL, free_port, incident_message, make_channels

ONCALL = Target(ChannelKind.EMAIL, "oncall@example.com")


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and refuses what it is told to."""

    def __init__(self) -> None:
        self.mails: list[tuple[Envelope, EmailMessage]] = []
        self.peers: list[object] = []  # the client end of the connection each came on
        self.refuse_rcpt: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append((envelope, mail))
        self.peers.append(session.peer)
        return "250 Message accepted"

    def only(self) -> tuple[Envelope, EmailMessage]:
        assert len(self.mails) == 1, self.mails
        return self.mails[0]


class Server:
    def __init__(self, **smtp: Any) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname=LOCAL, port=self.port, **smtp)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(LOCAL, "localhost").configure_cert(context)
    return context


class Authenticator:
    """Accepts tocsin / s3cr:t; remembers the mechanisms clients used."""

    def __init__(self) -> None:
        self.mechanisms: list[str] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        known = (b"tocsin", b"s3cr:t")
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == known
        return AuthResult(success=ok, handled=False)


def mailer(clock: FrozenClock, url: str, **config: Any) -> Channels:
    return make_channels(clock, mail_url=url, mail_from="Tocsin <pager@tocsin.example>", **config)


def send(clock: FrozenClock, url: str, **config: Any) -> object:
    channels = mailer(clock, url, **config)
    try:
        return channels.send(ONCALL, incident_message())
    finally:
        channels.close()


def test_plain_smtp_delivers_text_and_html_with_the_headers(
    server: Server, clock: FrozenClock
) -> None:
    channels = mailer(clock, f"smtp://{LOCAL}:{server.port}", mail_reply_to="ack@tocsin.example")
    try:
        outcome = channels.send(ONCALL, incident_message())
    finally:
        channels.close()
    assert outcome == Delivered(f"the mail server {LOCAL}:{server.port} accepted the e-mail")
    envelope, mail = server.inbox.only()
    assert (envelope.mail_from, envelope.rcpt_tos) == ("pager@tocsin.example", [ONCALL.address])
    assert mail["Subject"] == "[INC0001234] P1 Database down"
    assert mail["From"] == "Tocsin <pager@tocsin.example>"
    assert mail["To"] == ONCALL.address
    assert mail["Reply-To"] == "ack@tocsin.example"
    assert mail["Message-ID"] == "<dlv_01HZX3@tocsin>"
    assert mail["Date"] == "Mon, 02 Mar 2026 14:30:00 +0000"
    assert mail.get_content_type() == "multipart/alternative"
    text_part = mail.get_body(("plain",))
    html_part = mail.get_body(("html",))
    assert text_part is not None
    assert html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert "The primary stopped answering <queries> & replicas lag." in text
    assert "Acknowledge: https://tocsin.example/act/ack-token" in text
    assert "Resolve: https://tocsin.example/act/resolve-token" in text
    assert "Service: billing-db" in text
    assert 'Or reply to this e-mail with "ack" or "resolve".' in text
    assert "Tocsin delivery dlv_01HZX3" in text
    # The HTML escapes what came from outside and offers the links as buttons.
    assert "answering &lt;queries&gt; &amp; replicas" in html
    assert "<queries>" not in html
    assert '<a href="https://tocsin.example/act/ack-token"' in html
    assert ">Acknowledge</a>" in html
    assert ">Resolve</a>" in html
    assert "Tocsin delivery dlv_01HZX3" in html


def test_without_a_reply_address_no_reply_to_and_no_reply_hint(
    server: Server, clock: FrozenClock
) -> None:
    assert isinstance(send(clock, f"smtp://{LOCAL}:{server.port}"), Delivered)
    _, mail = server.inbox.only()
    assert mail["Reply-To"] is None
    body = mail.get_body(("plain",))
    assert body is not None
    assert "reply to this e-mail" not in body.get_content()


def test_starttls_with_a_private_ca(ca: trustme.CA, ca_file: str, clock: FrozenClock) -> None:
    server = Server(tls_context=server_tls(ca), require_starttls=True)
    try:
        url = f"smtp://{LOCAL}:{server.port}?starttls=true"
        assert isinstance(send(clock, url, mail_ca_file=ca_file), Delivered)
        # Without the CA the certificate is not trusted: no mail goes out in the clear.
        untrusted = send(clock, url)
        assert isinstance(untrusted, Retry)
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.reason
        # A server that requires STARTTLS refuses a client that does not use it.
        plain = send(clock, f"smtp://{LOCAL}:{server.port}")
        assert isinstance(plain, Failed)
        assert "530" in plain.reason
    finally:
        server.stop()
    assert len(server.inbox.mails) == 1


def test_implicit_tls(ca: trustme.CA, ca_file: str, clock: FrozenClock) -> None:
    server = Server(ssl_context=server_tls(ca))
    try:
        url = f"smtps://{LOCAL}:{server.port}"
        assert isinstance(send(clock, url, mail_ca_file=ca_file), Delivered)
    finally:
        server.stop()
    _, mail = server.inbox.only()
    assert mail["Message-ID"] == "<dlv_01HZX3@tocsin>"


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_auth_after_starttls_with_the_user_from_the_url(
    mechanism: str, ca: trustme.CA, ca_file: str, clock: FrozenClock
) -> None:
    checker = Authenticator()
    server = Server(
        tls_context=server_tls(ca),
        authenticator=checker,
        auth_required=True,
        auth_exclude_mechanism={"LOGIN": ["PLAIN"], "PLAIN": ["LOGIN"]}[mechanism],
    )
    address = f"{LOCAL}:{server.port}?starttls=true"
    try:
        good = send(clock, f"smtp://tocsin:s3cr%3At@{address}", mail_ca_file=ca_file)
        bad = send(clock, f"smtp://tocsin:wrong@{address}", mail_ca_file=ca_file)
        anonymous = send(clock, f"smtp://{address}", mail_ca_file=ca_file)
    finally:
        server.stop()
    assert isinstance(good, Delivered)
    assert isinstance(bad, Failed)
    assert "535" in bad.reason
    assert isinstance(anonymous, Failed)
    assert "530" in anonymous.reason
    assert checker.mechanisms == [mechanism, mechanism]
    assert len(server.inbox.mails) == 1


def test_a_permanent_refusal_fails(server: Server, clock: FrozenClock) -> None:
    server.inbox.refuse_rcpt = "550 5.1.1 No such user"
    outcome = send(clock, f"smtp://{LOCAL}:{server.port}")
    assert outcome == Failed(
        f"the mail server {LOCAL}:{server.port} refused oncall@example.com 550 5.1.1 No such user"
    )


def test_a_temporary_refusal_is_retried(server: Server, clock: FrozenClock) -> None:
    server.inbox.refuse_rcpt = "451 4.7.1 Greylisted, try again later"
    outcome = send(clock, f"smtp://{LOCAL}:{server.port}")
    assert isinstance(outcome, Retry)
    assert outcome.reason.endswith("451 4.7.1 Greylisted, try again later")


def test_a_server_that_is_down_is_retried(clock: FrozenClock) -> None:
    outcome = send(clock, f"smtp://{LOCAL}:{free_port()}")
    assert isinstance(outcome, Retry)
    assert outcome.reason.startswith("could not hand the e-mail to the mail server")


def test_without_a_mail_url_email_fails_with_the_setting_to_set(clock: FrozenClock) -> None:
    assert send(clock, "") == Failed("e-mail is not configured: set TOCSIN_MAIL_URL")


def test_a_mail_url_of_another_scheme_fails_with_the_expected_form(clock: FrozenClock) -> None:
    outcome = send(clock, "http://mail.example.com")
    assert isinstance(outcome, Failed)
    assert "smtp://user:pass@host:587?starttls=true" in outcome.reason


def test_non_ascii_titles_and_names_arrive_intact_and_connections_are_reused(
    server: Server, clock: FrozenClock
) -> None:
    channels = make_channels(
        clock,
        mail_url=f"smtp://{LOCAL}:{server.port}",
        mail_from="Zoë Pager <pager@tocsin.example>",
    )
    message = incident_message()
    message = type(message)(
        delivery_id="dlv_utf8",
        topic=message.topic,
        subject="Datenbank fällt aus — ünicode ✓",
        body="Größe: 42 € " + "lang " * 60,
        incident=message.incident,
        links=message.links,
    )
    try:
        assert isinstance(channels.send(ONCALL, message), Delivered)
        assert isinstance(channels.send(ONCALL, incident_message("dlv_second")), Delivered)
    finally:
        channels.close()
    (_, first), (_, second) = server.inbox.mails
    assert first["Subject"] == "[INC0001234] P1 Datenbank fällt aus — ünicode ✓"
    assert first["From"] == "Zoë Pager <pager@tocsin.example>"
    text = first.get_body(("plain",))
    assert text is not None
    assert "Größe: 42 €" in text.get_content()
    assert second["Message-ID"] == "<dlv_second@tocsin>"
    assert server.inbox.peers[0] == server.inbox.peers[1]  # one SMTP session for both
