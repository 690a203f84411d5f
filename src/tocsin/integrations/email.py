"""E-mail to incident: `parse` reads one raw RFC 5322 message (bytes, as the SMTP listener
received it, at most 25 MB, 413 beyond).

Accepted: any message with a From address and a non-blank Subject, however malformed the
rest (MIME, charsets, encodings are decoded as far as they go). Refused with 400 otherwise,
with a sentence the listener can send back to the author. Automatic mail (``Auto-Submitted``
other than ``no``, ``X-Autoreply``, ``X-Autorespond``, ``Precedence: bulk / junk /
auto_reply``, delivery reports ``multipart/report``) raises nothing, so that out-of-office
answers to Tocsin's own notifications cannot loop: it answers ``ignored={"auto_reply": 1}``.

Mapping: trigger; dedup_key = ``"email:" + Message-ID`` (without angle brackets; a
Message-ID over 240 characters is replaced by its sha256), None without one; summary = the
Subject, decoded (RFC 2047) on one line, cut to 1024 characters; description = the first
text/plain part that is not an attachment, else the text of the first text/html part (tags
dropped), cut to 100,000 characters; reporter = the From address in lower case; reply_to =
the first incident number in the Subject (``INC`` and seven digits, e.g.
"Re: [INC0001234] Printer on fire"); severity = config ``severity`` (default "warning");
labels {from, to} (addresses in lower case; ``to`` lists the To and Cc addresses, comma
separated); details {attachments: [{filename, content_type, size}]} when there are
attachments, and {command: "acknowledge" | "resolve"} when a reply's first non-empty line is
"ack", "acknowledge", "resolve" or "resolved" (any case, punctuation after it ignored);
occurred_at = the Date header.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, TypeVar

from tocsin.integrations._common import (
    check_severity_config,
    clean_text,
    config_severity,
    too_large,
    truncate,
)
from tocsin.integrations.base import (
    AlertAction,
    FieldError,
    IntegrationType,
    NormalizedAlert,
    Parsed,
    PayloadError,
    Severity,
)

MAX_BODY = 25 * 1024 * 1024
MAX_DESCRIPTION = 100_000
DEFAULT_CONFIG: dict[str, Any] = {"severity": "warning"}
INCIDENT_NUMBER = re.compile(r"(?<![A-Za-z0-9])INC\d{7}(?!\d)", re.IGNORECASE)
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply"}
# A reply's first line that asks for an action, and the action it asks for.
REPLY_COMMANDS = {
    "ack": "acknowledge",
    "acknowledge": "acknowledge",
    "resolve": "resolve",
    "resolved": "resolve",
}
_T = TypeVar("_T")
_D = TypeVar("_D")


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    severity = config_severity(config, "severity", Severity.WARNING)
    if len(body) > MAX_BODY:
        raise too_large(len(body), MAX_BODY)
    try:
        message = message_from_bytes(body)
    except Exception:  # the parser is lenient, but never trust it with hostile bytes
        raise _refuse("body", "The message cannot be read as an e-mail.") from None
    sender = _addresses(message, "From")
    if not sender:
        raise _refuse("From", "The message has no From address, so nobody can be answered.")
    subject = " ".join(_header(message, "Subject").split())
    if not subject:
        raise _refuse("Subject", "The message has no Subject; say in it what the problem is.")
    if _automatic(message):
        return Parsed(alerts=[], ignored={"auto_reply": 1})
    number = INCIDENT_NUMBER.search(subject)
    message_id = _header(message, "Message-ID").strip().strip("<>").strip()
    if len(message_id) > 240:
        message_id = "sha256:" + hashlib.sha256(message_id.encode("utf-8")).hexdigest()
    text, attachments = _content(message)
    details: dict[str, Any] = {"attachments": attachments} if attachments else {}
    command = reply_command(text) if number else None
    if command:
        details["command"] = command
    labels = {"from": sender[0]}
    to = _addresses(message, "To") + _addresses(message, "Cc")
    if to:
        labels["to"] = ", ".join(to)
    alert = NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=f"email:{message_id}" if message_id else None,
        summary=truncate(subject, 1024),
        severity=severity,
        description=truncate(text, MAX_DESCRIPTION),
        labels=labels,
        details=details,
        occurred_at=_date(message),
        reporter=sender[0],
        reply_to=number[0].upper() if number else None,
    )
    return Parsed(alerts=[alert])


def reply_command(text: str) -> str | None:
    """The action a reply's first non-empty line asks for ("Ack." -> "acknowledge")."""
    for line in text.splitlines():
        if line.strip():
            word = line.strip().rstrip(".!,;:?").strip().lower()
            return REPLY_COMMANDS.get(word)
    return None


def _refuse(field: str, message: str) -> PayloadError:
    return PayloadError(message, [FieldError(field, message)])


def _header(message: Message, name: str) -> str:
    """A header decoded (RFC 2047); the raw text when it cannot be decoded; "" if absent."""
    try:
        raw = message.get(name)
        if raw is None:
            return ""
        raw = str(raw)
    except Exception:
        return ""
    try:
        return clean_text(str(make_header(decode_header(raw))))
    except Exception:  # unknown charset, broken encoded-word: keep the raw text
        return clean_text(raw)


def _addresses(message: Message, name: str) -> list[str]:
    try:
        values = [str(value) for value in message.get_all(name, [])]
        pairs = getaddresses(values)
    except Exception:
        return []
    found = []
    for _, address in pairs:
        address = clean_text(address.strip().lower())
        if "@" in address and len(address) <= 320 and address not in found:
            found.append(address)
    return found


def _automatic(message: Message) -> bool:
    auto = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (
        (auto != "" and auto != "no")
        or bool(_header(message, "X-Autoreply") or _header(message, "X-Autorespond"))
        or precedence in _AUTO_PRECEDENCE
        or _safe(lambda: message.get_content_type(), "") == "multipart/report"
    )


def _safe(call: Callable[[], _T], default: _D) -> _T | _D:
    try:
        return call()
    except Exception:
        return default


def _content(message: Message) -> tuple[str, list[dict[str, Any]]]:
    """The text of the message and the list of its attachments."""
    plain: str | None = None
    html: str | None = None
    attachments: list[dict[str, Any]] = []
    try:
        parts = list(message.walk())
    except Exception:
        parts = [message]
    for part in parts[:500]:
        if _safe(part.is_multipart, True):
            continue
        content_type = _safe(part.get_content_type, "text/plain")
        disposition = str(_safe(part.get_content_disposition, None) or "")
        filename = _safe(part.get_filename, None)
        payload = _payload(part)
        if disposition == "attachment" or filename:
            attachments.append({
                "filename": clean_text(str(filename or "")),
                "content_type": content_type,
                "size": len(payload),
            })  # fmt: skip
        elif content_type == "text/plain" and plain is None:
            plain = _decode(payload, part)
        elif content_type == "text/html" and html is None:
            html = _decode(payload, part)
    if plain is not None and plain.strip():
        text = plain
    else:
        text = _html_text(html) if html else (plain or "")
    return text.strip(), attachments


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return b""
    return payload if isinstance(payload, bytes) else b""


def _decode(payload: bytes, part: Message) -> str:
    charset = str(_safe(lambda: part.get_content_charset("utf-8"), "utf-8") or "utf-8")
    try:
        text = payload.decode(charset, "replace")
    except Exception:  # unknown charset, or a codec that is not a text encoding
        text = payload.decode("utf-8", "replace")
    return clean_text(text.replace("\r\n", "\n"))


class _TextOfHtml(HTMLParser):
    """The visible text of an HTML part: no tags, scripts or styles; block ends as lines."""

    BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table", "ul"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    reader = _TextOfHtml()
    try:
        reader.feed(html)
        reader.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(reader.parts).split("\n"))
    return clean_text(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)))


def _date(message: Message) -> datetime | None:
    text = _header(message, "Date")
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except Exception:
        return None


def check_config(config: Mapping[str, Any]) -> list[FieldError]:
    return check_severity_config(config, "severity")


TYPE = IntegrationType(
    name="email",
    title="E-mail",
    parse=parse,
    default_config=DEFAULT_CONFIG,
    check_config=check_config,
)
