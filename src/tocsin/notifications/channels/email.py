"""E-mail over SMTP: plain, STARTTLS or TLS from the first byte, with AUTH when a user is
given; a text and an HTML body rendered from the templates."""

from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tocsin.core.clock import Clock
from tocsin.notifications.channels.base import Delivered, Failed, Message, Outcome, Retry, Target
from tocsin.notifications.channels.render import actions, facts, footer, headline
from tocsin.notifications.channels.smtp_pool import IDLE_SECONDS, SmtpConnections

NOT_CONFIGURED = "e-mail is not configured: set TOCSIN_MAIL_URL"
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class MailServer:
    """Where and how to hand mail over, read from TOCSIN_MAIL_URL."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> MailServer:
        """ValueError with a sentence when `url` is not smtp://... or smtps://..."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as error:
            raise ValueError(f"TOCSIN_MAIL_URL is not a valid URL ({error})") from error
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "TOCSIN_MAIL_URL must look like smtp://user:pass@host:587?starttls=true "
                "or smtps://user:pass@host:465"
            )
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["false"])[-1].lower() in _TRUE
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587 if starttls else 25),
            implicit_tls=implicit,
            starttls=starttls and not implicit,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


# HTML templates escape everything they insert (titles and bodies come from alerts, that
# is, from outside); the text template inserts as is.
_TEMPLATES = Environment(
    loader=PackageLoader("tocsin.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class EmailChannel:
    def __init__(
        self,
        *,
        mail_url: str,
        mail_from: str,
        mail_reply_to: str,
        mail_ca_file: str,
        timeout_seconds: float,
        clock: Clock,
    ) -> None:
        self._url = mail_url
        self._from = mail_from
        self._reply_to = mail_reply_to
        self._ca_file = mail_ca_file
        self._timeout = timeout_seconds
        self._clock = clock
        self._context: ssl.SSLContext | None = None
        self._tls_lock = threading.Lock()
        self._connections = SmtpConnections(idle_seconds=IDLE_SECONDS)
        self._text = _TEMPLATES.get_template("email.txt.j2")
        self._html = _TEMPLATES.get_template("email.html.j2")

    def render(self, target: Target, message: Message) -> MIMEMultipart:
        """The e-mail for `message`, as it would be sent to `target`. Built with the
        classic MIME classes: the same bytes on the wire as EmailMessage makes, for a third
        of the work (the mail of every page is built on the sending path)."""
        context = {
            "headline": headline(message),
            "body": message.body,
            "facts": facts(message),
            "actions": actions(message),
            "footer": footer(message),
            "reply_to": self._reply_to,
        }
        mail = MIMEMultipart("alternative")
        mail["Subject"] = _header(headline(message))  # type: ignore[assignment] # Header is accepted
        mail["From"] = _address(self._from)
        mail["To"] = _address(target.address)
        if self._reply_to:
            mail["Reply-To"] = _address(self._reply_to)
        mail["Date"] = format_datetime(self._clock.now())
        mail["Message-ID"] = f"<{message.delivery_id}@tocsin>"
        mail["X-Tocsin-Delivery"] = message.delivery_id
        mail["Auto-Submitted"] = "auto-generated"
        mail.attach(_part(self._text.render(context), "plain"))
        mail.attach(_part(self._html.render(context), "html"))
        return mail

    def send(self, target: Target, message: Message) -> Outcome:
        if not self._url:
            return Failed(NOT_CONFIGURED)
        try:
            server = MailServer.parse(self._url)
        except ValueError as error:
            return Failed(str(error))
        mail = self.render(target, message)
        where = f"the mail server {server.host}:{server.port}"
        try:
            self._hand_over(server, mail, target.address)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return _by_code(code, text, f"{where} refused {target.address}")
        except smtplib.SMTPResponseException as error:
            return _by_code(error.smtp_code, error.smtp_error, f"{where} answered")
        except smtplib.SMTPNotSupportedError as error:
            return Failed(f"{where} does not support what TOCSIN_MAIL_URL asks for: {error}")
        except (smtplib.SMTPException, OSError) as error:
            # Refused or broken connections, timeouts, TLS handshakes that failed.
            return Retry(f"could not hand the e-mail to {where}: {error or type(error).__name__}")
        return Delivered(f"{where} accepted the e-mail")

    def _hand_over(self, server: MailServer, mail: MIMEMultipart, recipient: str) -> None:
        sender = parseaddr(self._from)[1] or self._from
        data = mail.as_bytes(policy=_WIRE)
        client = self._connections.take(server)
        if client is not None:
            try:
                client.sendmail(sender, [recipient], data)
            except (smtplib.SMTPServerDisconnected, OSError):
                # The server closed an idle connection: say it again on a new one. (Had it
                # accepted the message before the connection broke, the receiver sees the
                # same Message-ID twice, as with any retry.)
                self._connections.discard(client)
            else:
                self._connections.give_back(server, client)
                return
        client = self._connect(server)
        try:
            client.sendmail(sender, [recipient], data)
        except BaseException:
            self._connections.discard(client)
            raise
        self._connections.give_back(server, client)

    def _connect(self, server: MailServer) -> smtplib.SMTP:
        client: smtplib.SMTP
        if server.implicit_tls:
            client = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self._timeout, context=self._tls()
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=self._timeout)
        try:
            client.ehlo()
            if server.starttls:
                client.starttls(context=self._tls())
                client.ehlo()
            if server.user:
                client.login(server.user, server.password)
        except BaseException:
            self._connections.discard(client)
            raise
        return client

    def _tls(self) -> ssl.SSLContext:
        """One TLS context for every connection: loading the trust store is most of what
        opening a connection costs."""
        with self._tls_lock:
            if self._context is None:
                self._context = ssl.create_default_context(cafile=self._ca_file or None)
            return self._context

    def close(self) -> None:
        self._connections.close()


# SMTP wants CRLF line ends (smtplib converts them only in text, not in bytes).
_WIRE = compat32.clone(linesep="\r\n")


# Bodies in quoted-printable (readable, as mail clients and filters prefer), not base64.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP


def _part(text: str, subtype: str) -> MIMEText:
    return MIMEText(text, subtype, "us-ascii" if text.isascii() else _UTF8)  # type: ignore[arg-type] # a Charset is accepted


def _header(value: str) -> str | Header:
    """A header value: as is when ASCII, else RFC 2047-encoded UTF-8 (a Header, which the
    generator folds without adding to the text)."""
    return value if value.isascii() else Header(value, "utf-8")


def _address(value: str) -> str:
    """An address header whose display name may be non-ASCII (`Zoë <z@example.com>`)."""
    if value.isascii():
        return value
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8")


def _by_code(code: int, text: bytes | str, said: str) -> Outcome:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    sentence = f"{said} {code} {' '.join(reply.split())}".strip()
    if 400 <= code < 500:
        return Retry(sentence)
    return Failed(sentence)
