"""Syslog: `parse` reads ONE message (a UDP datagram or one framed TCP message) in RFC 5424
or RFC 3164 form; `frame` cuts a TCP stream into messages (RFC 6587).

Accepted by `parse` (at most 64 KiB, 413 beyond; trailing CR, LF and NUL are ignored):
- RFC 5424: ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`` with
  NILVALUE ``-`` in any header field, structured data ``-`` or ``[id k="v" ...]...``, and a
  MSG that may start with a UTF-8 byte-order mark (other bytes are decoded as UTF-8 with
  replacement characters).
- RFC 3164: ``<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`` (the year is `received_at`'s,
  or the year before when that would put the message more than a day in the future; the
  time zone is `received_at`'s), also without HOSTNAME, with an RFC 3339 timestamp instead,
  or with no timestamp at all.
Refused (400): an empty message, no ``<PRI>`` (0-191) at the start, a malformed RFC 5424
header or structured data, an impossible date.

Which messages raise an alert is per-integration configuration: ``max_severity`` (a name
such as "err", "warning", or 0-7; default "err"), ``app_name`` (a regular expression the
whole APP-NAME / tag must match, or null) and ``pattern`` (a regular expression searched in
the message text, or null). An alert is raised when ALL given conditions hold; otherwise
`parse` answers ``Parsed(alerts=[], ignored={"below_threshold": 1})``.

Mapping: trigger; severity 0-2 critical, 3 error, 4 warning, 5-7 info; dedup_key =
``"syslog:" + sha256(hostname \\x1f app_name \\x1f msgid \\x1f text)`` in hex, where each run
of digits in the text is replaced by "#" (so repeats of one log line, with other pids,
ports or counters, are one alert); summary = ``"{hostname} {app_name}: {text}"`` (absent
parts left out) on one line, cut to 300 characters; description = the text; source =
hostname; labels {facility, severity (names), hostname, app_name, procid, msgid} as present;
details {structured_data: {SD-ID: {name: value}}} when present; occurred_at = the message's
timestamp.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from tocsin.integrations._common import clean_text, config_error, parse_time, truncate
from tocsin.integrations.base import (
    AlertAction,
    FieldError,
    IntegrationType,
    NormalizedAlert,
    Parsed,
    PayloadError,
    Severity,
)

MAX_MESSAGE = 64 * 1024
FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
              "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
              *(f"local{n}" for n in range(8)))  # fmt: skip
SEVERITY_NAMES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_ALIASES = {"emergency": 0, "panic": 0, "critical": 2, "error": 3, "warn": 4, "informational": 6}
DEFAULT_CONFIG: dict[str, Any] = {"max_severity": "err", "app_name": None, "pattern": None}
_PRI = re.compile(rb"<(\d{1,3})>")
_VERSION = re.compile(rb"[1-9]\d{0,2} ")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BSD_TIME = re.compile(rf"({'|'.join(_MONTHS)}) ([ \d]?\d) (\d\d):(\d\d):(\d\d) ")
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) ")
_TAG = re.compile(r"([^\s:\[\]]{1,48})(?:\[([^\]\s]{1,128})\])?:(?: |$)")
_RFC3339 = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")
_SD_ID = re.compile(rb"\[([!#-<>-\\^-~]{1,32})")
_SD_PARAM = re.compile(rb' ([!#-<>-\\^-~]{1,32})="')
_HEADER = (("HOSTNAME", 255), ("APP-NAME", 48), ("PROCID", 128), ("MSGID", 32))


@dataclass(frozen=True, slots=True)
class Message:
    """One syslog message, decoded."""

    facility: int
    severity: int
    timestamp: datetime | None
    hostname: str | None
    app_name: str | None
    procid: str | None
    msgid: str | None
    text: str
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)


def _refuse(message: str, status: int = 400) -> PayloadError:
    return PayloadError(message, [FieldError("message", message)], status=status)


def parse_message(data: bytes, *, received_at: datetime) -> Message:
    """Decode one RFC 5424 or RFC 3164 message; PayloadError when it is neither."""
    if len(data) > MAX_MESSAGE:
        raise _refuse(f"The syslog message is {len(data)} bytes; the limit is 64 KiB.", 413)
    data = data.rstrip(b"\r\n\x00")
    if not data.strip():
        raise _refuse("The syslog message is empty.")
    match = _PRI.match(data)
    if match is None or int(match[1]) > 191:
        raise _refuse(
            "A syslog message starts with its priority, <0> to <191>; this one starts with "
            f"{clean_text(data[:12].decode('utf-8', 'replace'))!r}."
        )
    facility, severity = divmod(int(match[1]), 8)
    rest = data[match.end() :]
    version = _VERSION.match(rest)
    if version is not None:
        return _rfc5424(facility, severity, rest[version.end() :])
    return _rfc3164(facility, severity, rest, received_at)


def _rfc5424(facility: int, severity: int, rest: bytes) -> Message:
    parts = rest.split(b" ", 5)
    if len(parts) < 6:
        raise _refuse(
            "The RFC 5424 header is incomplete: after the version come TIMESTAMP, HOSTNAME, "
            "APP-NAME, PROCID, MSGID and STRUCTURED-DATA, separated by single spaces."
        )
    fields: list[str | None] = []
    for (name, limit), raw in zip(_HEADER, parts[1:5], strict=True):
        if not raw or len(raw) > limit or any(byte < 33 or byte > 126 for byte in raw):
            raise _refuse(
                f"The RFC 5424 {name} must be 1 to {limit} printable ASCII characters "
                "without spaces, or '-'."
            )
        fields.append(None if raw == b"-" else raw.decode("ascii"))
    timestamp = None
    if parts[0] != b"-":
        try:
            if not _RFC3339.fullmatch(parts[0]):
                raise ValueError(parts[0])
            timestamp = parse_time(parts[0].decode("ascii"))
        except ValueError:
            shown = clean_text(parts[0][:40].decode("utf-8", "replace"))
            raise _refuse(
                f"The RFC 5424 TIMESTAMP {shown!r} is not an RFC 3339 date and time "
                "(e.g. 2026-03-02T09:00:00.000Z) or '-'."
            ) from None
    structured, text = _structured_data(parts[5])
    hostname, app_name, procid, msgid = fields
    return Message(facility, severity, timestamp, hostname, app_name, procid, msgid,
                   _text(text.removeprefix(b"\xef\xbb\xbf")), structured)  # fmt: skip


def _structured_data(tail: bytes) -> tuple[dict[str, dict[str, str]], bytes]:
    """The STRUCTURED-DATA at the start of `tail`, and the MSG after it."""
    if tail == b"-" or tail.startswith(b"- "):
        return {}, tail[2:]
    if not tail.startswith(b"["):
        raise _refuse("The RFC 5424 STRUCTURED-DATA must be '-' or elements like [id k=\"v\"].")
    elements: dict[str, dict[str, str]] = {}
    pos = 0
    while pos < len(tail) and tail[pos : pos + 1] == b"[":
        match = _SD_ID.match(tail, pos)
        if match is None:
            raise _refuse(f"The RFC 5424 structured data has an invalid SD-ID at byte {pos}.")
        params = elements.setdefault(match[1].decode("ascii"), {})
        pos = match.end()
        while tail[pos : pos + 1] == b" ":
            param = _SD_PARAM.match(tail, pos)
            if param is None:
                raise _refuse(f"The RFC 5424 structured data has a bad parameter at byte {pos}.")
            value, pos = _param_value(tail, param.end())
            params[param[1].decode("ascii")] = _text(value)
        if tail[pos : pos + 1] != b"]":
            raise _refuse(f"The RFC 5424 structured data lacks a ']' at byte {pos}.")
        pos += 1
    if pos < len(tail) and tail[pos : pos + 1] != b" ":
        raise _refuse(f"The RFC 5424 structured data ends at byte {pos} without a space.")
    return elements, tail[pos + 1 :]


def _param_value(tail: bytes, pos: int) -> tuple[bytes, int]:
    """A PARAM-VALUE starting at `pos` (after the opening quote): its bytes, unescaped, and
    the position after its closing quote."""
    value = bytearray()
    while pos < len(tail):
        byte = tail[pos : pos + 1]
        if byte == b"\\" and tail[pos + 1 : pos + 2] in (b'"', b"\\", b"]"):
            value += tail[pos + 1 : pos + 2]
            pos += 2
        elif byte == b'"':
            return bytes(value), pos + 1
        else:
            value += byte
            pos += 1
    raise _refuse("The RFC 5424 structured data has a value without its closing quote.")


def _rfc3164(facility: int, severity: int, rest: bytes, received_at: datetime) -> Message:
    line = _text(rest)
    timestamp: datetime | None = None
    hostname: str | None = None
    bsd = _BSD_TIME.match(line)
    iso = _ISO_TIME.match(line)
    if bsd is not None:
        timestamp = _bsd_time(bsd, received_at)
        line = line[bsd.end() :]
    elif iso is not None:
        try:
            timestamp = parse_time(iso[1])
        except ValueError:
            raise _refuse(f"The timestamp {iso[1]!r} is not a date and time.") from None
        line = line[iso.end() :]
    if timestamp is not None:
        host, _, after = line.partition(" ")
        if host and not _TAG.fullmatch(host + (" " if after else "")) and len(host) <= 255:
            hostname, line = host, after
    tag = _TAG.match(line)
    app_name = procid = None
    if tag is not None:
        app_name, procid, line = tag[1], tag[2], line[tag.end() :]
    return Message(facility, severity, timestamp, hostname, app_name, procid, None, line)


def _bsd_time(match: re.Match[str], received_at: datetime) -> datetime:
    zone = received_at.tzinfo or UTC
    month = _MONTHS.index(match[1]) + 1
    day, hour, minute, second = (int(match[n]) for n in range(2, 6))
    for year in (received_at.year, received_at.year - 1):
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=zone)
            if moment <= received_at.astimezone(zone) + timedelta(days=1):
                return moment.astimezone(UTC)
        except (ValueError, OverflowError):  # no such day that year; the ends of time
            continue
    raise _refuse(f"The RFC 3164 timestamp {match[0].strip()!r} is not a date.")


def _text(data: bytes) -> str:
    return clean_text(data.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class Rules:
    """When a message raises an alert (see the module documentation)."""

    max_severity: int
    app_name: re.Pattern[str] | None
    pattern: re.Pattern[str] | None

    def accept(self, message: Message) -> bool:
        if message.severity > self.max_severity:
            return False
        if self.app_name is not None and not self.app_name.fullmatch(message.app_name or ""):
            return False
        return self.pattern is None or self.pattern.search(message.text) is not None


@lru_cache(maxsize=256)
def _compile(key: str, text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise config_error(f"'{key}' is not a regular expression ({exc})") from None


def rules(config: Mapping[str, Any]) -> Rules:
    """The Rules of `config`; PayloadError 500 when the configuration is wrong."""
    limit = config.get("max_severity", "err")
    if isinstance(limit, str) and limit.strip().isdecimal():
        limit = int(limit.strip())
    if isinstance(limit, str):
        name = limit.strip().lower()
        limit = SEVERITY_NAMES.index(name) if name in SEVERITY_NAMES else _ALIASES.get(name)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= 7:
        raise config_error("'max_severity' must be 0-7 or one of " + ", ".join(SEVERITY_NAMES))
    patterns: list[re.Pattern[str] | None] = []
    for key in ("app_name", "pattern"):
        text = config.get(key)
        if text is not None and not isinstance(text, str):
            raise config_error(f"'{key}' must be a regular expression or null")
        patterns.append(_compile(key, text) if text else None)
    return Rules(limit, patterns[0], patterns[1])


def check_config(config: Mapping[str, Any]) -> list[FieldError]:
    try:
        rules(config)
    except PayloadError as exc:
        return list(exc.errors)
    return []


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    accept = rules(config)
    message = parse_message(body, received_at=received_at)
    if not accept.accept(message):
        return Parsed(alerts=[], ignored={"below_threshold": 1})
    return Parsed(alerts=[to_alert(message)])


def to_alert(message: Message) -> NormalizedAlert:
    severity = message.severity
    level = (Severity.CRITICAL if severity <= 2 else Severity.ERROR if severity == 3
             else Severity.WARNING if severity == 4 else Severity.INFO)  # fmt: skip
    who = " ".join(part for part in (message.hostname, message.app_name) if part)
    one_line = " ".join(message.text.split())
    labels = {"facility": FACILITIES[message.facility], "severity": SEVERITY_NAMES[severity]}
    for key in ("hostname", "app_name", "procid", "msgid"):
        value = getattr(message, key)
        if value:
            labels[key] = value
    return NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=dedup_key(message),
        summary=truncate(f"{who}: {one_line}" if who else one_line, 300),
        severity=level,
        description=message.text,
        source=message.hostname,
        labels=labels,
        details={"structured_data": message.structured_data} if message.structured_data else {},
        occurred_at=message.timestamp,
    )


def dedup_key(message: Message) -> str:
    """``syslog:`` + sha256 of hostname, app_name, msgid and the text with digits collapsed."""
    parts = (message.hostname, message.app_name, message.msgid, re.sub(r"\d+", "#", message.text))
    text = "\x1f".join(part or "-" for part in parts)
    return "syslog:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def frame(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut a TCP stream into messages: RFC 6587 octet counting (``LEN SP MSG``) or LF framing
    (``<PRI>...LF``), detected frame by frame. Returns the complete messages and the bytes
    left over (an incomplete frame, to be completed by the next read). PayloadError when the
    stream is neither, or announces a message over 64 KiB (413) — raised only once the
    complete messages before the fault were handed back (the fault stays at the start of
    the remainder, so the next call raises)."""
    messages: list[bytes] = []
    pos, end = 0, len(buffer)
    while True:
        while pos < end and buffer[pos] in b"\r\n\x00":
            pos += 1
        if pos >= end:
            break
        first = buffer[pos]
        if 0x31 <= first <= 0x39:  # octet counting: 1-5 digits, a space, the message
            space = buffer.find(b" ", pos, pos + 7)
            digits = buffer[pos:space] if space >= 0 else buffer[pos : pos + 7]
            if not digits.isdigit() or (space < 0 and len(digits) > 6):
                if messages:
                    break
                raise _refuse("The TCP stream has an octet count not followed by a space.")
            if int(digits) > MAX_MESSAGE:
                if messages:
                    break
                raise _refuse("The TCP stream announces a message over 64 KiB.", 413)
            if space < 0 or space + 1 + int(digits) > end:
                break  # the rest of the frame has not arrived yet
            messages.append(buffer[space + 1 : space + 1 + int(digits)])
            pos = space + 1 + int(digits)
        elif first == 0x3C:  # "<": LF framing
            newline = buffer.find(b"\n", pos, pos + MAX_MESSAGE + 2)
            if newline < 0:
                if end - pos > MAX_MESSAGE + 1:
                    if messages:
                        break
                    raise _refuse("The TCP stream holds a line over 64 KiB.", 413)
                break
            messages.append(buffer[pos:newline].rstrip(b"\r"))
            pos = newline + 1
        else:
            if messages:
                break
            shown = clean_text(buffer[pos : pos + 12].decode("utf-8", "replace"))
            raise _refuse(
                "The TCP stream is neither octet-counted ('LEN <PRI>...') nor LF-framed "
                f"('<PRI>...'); it continues with {shown!r}."
            )
    return messages, buffer[pos:]


TYPE = IntegrationType(
    name="syslog",
    title="Syslog (RFC 5424 / RFC 3164)",
    parse=parse,
    default_config=DEFAULT_CONFIG,
    check_config=check_config,
)
