"""Syslog messages and TCP framing (`tocsin.integrations.syslog`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integrations.helpers import RECEIVED_AT, sample
from tocsin.integrations import syslog
from tocsin.integrations.base import AlertAction, Parsed, PayloadError, Severity

SAMPLES = {n: sample("syslog", f"{n:04d}.raw") for n in range(1, 11)}
AT = datetime(2026, 11, 28, 4, 43, 0, tzinfo=UTC)
PRI = "A syslog message starts with its priority, <0> to <191>; this one starts with"


def run(
    body: bytes, config: dict[str, Any] | None = None, received_at: datetime = RECEIVED_AT
) -> Parsed:
    conf = syslog.DEFAULT_CONFIG if config is None else config
    return syslog.parse(body, headers={}, received_at=received_at, config=conf)


def refused(body: bytes, status: int = 400) -> str:
    with pytest.raises(PayloadError) as caught:
        syslog.parse_message(body, received_at=RECEIVED_AT)
    assert caught.value.status == status
    return caught.value.message


# number: facility, severity, hostname, app_name, procid, msgid, timestamp, SD-IDs
EXPECTED: dict[
    int, tuple[str, str, str | None, str, str | None, str | None, datetime | None, list[str]]
] = {
    1: (
        "auth",
        "warning",
        "vm",
        "sshd",
        "21873",
        None,
        AT.replace(microsecond=635795),
        ["timeQuality"],
    ),
    2: (
        "authpriv",
        "notice",
        "vm",
        "sudo",
        None,
        None,
        AT.replace(microsecond=638529),
        ["timeQuality"],
    ),
    3: (
        "user",
        "crit",
        "vm",
        "kernel",
        None,
        None,
        AT.replace(microsecond=640305),
        ["timeQuality"],
    ),
    4: (
        "local0",
        "err",
        "vm",
        "nginx",
        "1337",
        "ERR502",
        AT.replace(microsecond=643043),
        ["timeQuality"],
    ),
    5: (
        "daemon",
        "info",
        "vm",
        "app",
        None,
        None,
        AT.replace(microsecond=645527),
        ["timeQuality", "alert@32473"],
    ),
    6: (
        "user",
        "emerg",
        "vm",
        "backup",
        None,
        None,
        AT.replace(microsecond=647901),
        ["timeQuality"],
    ),
    7: ("local3", "debug", "vm", "web", None, None, AT.replace(microsecond=653061), []),
    8: ("local4", "alert", "vm", "web", None, None, None, []),
    9: (
        "local5",
        "notice",
        None,
        "web",
        None,
        None,
        AT.replace(microsecond=658419),
        ["timeQuality"],
    ),
    10: ("auth", "warning", "vm", "sshd", "21874", None, AT, []),
}


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_the_real_datagrams_are_read(number: int) -> None:
    message = syslog.parse_message(SAMPLES[number], received_at=RECEIVED_AT)
    facility, severity, host, app, procid, msgid, timestamp, sd_ids = EXPECTED[number]
    assert syslog.FACILITIES[message.facility] == facility
    assert syslog.SEVERITY_NAMES[message.severity] == severity
    assert (message.hostname, message.app_name, message.procid, message.msgid) == (
        host,
        app,
        procid,
        msgid,
    )
    assert message.timestamp == timestamp
    assert list(message.structured_data) == sd_ids
    assert not message.text.startswith(("-", "[", " "))


def test_structured_data_and_utf8_text() -> None:
    five = syslog.parse_message(SAMPLES[5], received_at=RECEIVED_AT)
    assert five.structured_data["alert@32473"] == {
        "severity": "critical",
        "service": "checkout",
        "incident_id": "INC0012345",
    }
    assert five.text == "Checkout latency SLO breached: p99=2.4s"
    six = syslog.parse_message(SAMPLES[6], received_at=RECEIVED_AT)
    assert "données non sauvegardées" in six.text


def test_by_default_only_err_and_worse_raise_an_alert() -> None:
    raised = {n for n, body in SAMPLES.items() if run(body).alerts}
    assert raised == {3, 4, 6, 8}
    assert run(SAMPLES[1]) == Parsed(alerts=[], ignored={"below_threshold": 1})


@pytest.mark.parametrize(
    ("config", "raised"),
    [
        ({"max_severity": 4}, {1, 3, 4, 6, 8, 10}),
        ({"max_severity": "7"}, set(range(1, 11))),
        ({"max_severity": "WARNING", "app_name": "sshd"}, {1, 10}),
        ({"max_severity": "debug", "app_name": "ss"}, set()),  # the whole name must match
        ({"max_severity": "debug", "pattern": r"(?i)invalid user"}, {1, 10}),
        ({"max_severity": "crit", "pattern": "memory|Backup"}, {3, 6}),
        ({"max_severity": "emerg"}, {6}),
    ],
)
def test_the_configuration_chooses_the_messages(config: dict[str, Any], raised: set[int]) -> None:
    assert {n for n, body in SAMPLES.items() if run(body, config).alerts} == raised


@pytest.mark.parametrize(
    "config",
    [
        {"max_severity": 8},
        {"max_severity": "loud"},
        {"max_severity": True},
        {"app_name": "("},
        {"pattern": 5},
    ],
)
def test_a_bad_configuration_is_refused(config: dict[str, Any]) -> None:
    assert syslog.check_config(config)
    with pytest.raises(PayloadError) as caught:
        run(SAMPLES[3], config)
    assert caught.value.status == 500


def test_the_alert_of_a_message() -> None:
    (alert,) = run(SAMPLES[4]).alerts
    assert alert.action is AlertAction.TRIGGER
    assert alert.severity is Severity.ERROR
    assert alert.summary.startswith("vm nginx: upstream timed out (110: Connection timed out)")
    assert alert.source == "vm"
    assert alert.labels == {
        "facility": "local0",
        "severity": "err",
        "hostname": "vm",
        "app_name": "nginx",
        "procid": "1337",
        "msgid": "ERR502",
    }
    assert alert.details == {"structured_data": {"timeQuality": {"tzKnown": "1", "isSynced": "0"}}}
    assert alert.dedup_key is not None
    assert alert.dedup_key.startswith("syslog:")


@pytest.mark.parametrize(
    ("pri", "severity"),
    [
        (0, Severity.CRITICAL),
        (2, Severity.CRITICAL),
        (3, Severity.ERROR),
        (4, Severity.WARNING),
        (5, Severity.INFO),
        (7, Severity.INFO),
    ],
)
def test_severity_mapping(pri: int, severity: Severity) -> None:
    body = f"<{pri}>1 - host app - - - text".encode()
    assert run(body, {"max_severity": 7}).alerts[0].severity is severity


def test_repeats_of_one_line_share_a_key() -> None:
    config = {"max_severity": "debug"}
    first = run(SAMPLES[1], config).alerts[0]
    again = run(SAMPLES[1].replace(b"21873", b"99").replace(b"51544", b"1"), config).alerts[0]
    other = run(SAMPLES[1].replace(b"admin", b"root"), config).alerts[0]
    assert first.dedup_key == again.dedup_key != other.dedup_key


def test_the_summary_is_one_line_of_at_most_300_characters() -> None:
    body = b"<11>1 - h a - - - " + b"word\nword " * 100
    (alert,) = run(body).alerts
    assert len(alert.summary) == 300
    assert "\n" not in alert.summary
    assert alert.description.count("\n") == 100


@pytest.mark.parametrize(
    ("body", "host", "app", "procid", "text"),
    [
        (b"<13>Nov 28 04:43:00 vm sshd[1]: hello", "vm", "sshd", "1", "hello"),
        (b"<13>Nov  3 04:43:00 vm cron: job done", "vm", "cron", None, "job done"),
        (b"<13>Nov 28 04:43:00 sshd[7]: no host here", None, "sshd", "7", "no host here"),
        (
            b"<13>Nov 28 04:43:00 fw01 plain text without tag",
            "fw01",
            None,
            None,
            "plain text without tag",
        ),
        (b"<13>2026-11-28T04:43:00Z web01 app: iso time", "web01", "app", None, "iso time"),
        (b"<13>app: no timestamp", None, "app", None, "no timestamp"),
        (b"<13>just text\n", None, None, None, "just text"),
    ],
)
def test_rfc3164_forms(
    body: bytes, host: str | None, app: str | None, procid: str | None, text: str
) -> None:
    message = syslog.parse_message(body, received_at=RECEIVED_AT)
    assert (message.hostname, message.app_name, message.procid, message.text) == (
        host,
        app,
        procid,
        text,
    )
    assert message.msgid is None


def test_rfc3164_takes_the_year_and_zone_of_reception() -> None:
    body = b"<13>Dec 31 23:59:00 vm app: last minute"
    new_year = datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC)
    assert syslog.parse_message(body, received_at=new_year).timestamp == datetime(
        2026, 12, 31, 23, 59, tzinfo=UTC
    )
    paris = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 28, 5, 44, tzinfo=paris)
    moment = syslog.parse_message(b"<13>Nov 28 05:43:00 vm a: b", received_at=local).timestamp
    assert moment == datetime(2026, 11, 28, 4, 43, tzinfo=UTC)


def test_rfc5424_details() -> None:
    bom = (
        b'<14>1 2026-11-28T05:43:00.5+01:00 h a 9 ID [x@1 k="a\\"b\\]c\\\\" e=""][y@2] '
        b"\xef\xbb\xbfhi"
    )
    message = syslog.parse_message(bom, received_at=RECEIVED_AT)
    assert message.timestamp == datetime(2026, 11, 28, 4, 43, 0, 500000, tzinfo=UTC)
    assert message.structured_data == {"x@1": {"k": 'a"b]c\\', "e": ""}, "y@2": {}}
    assert message.text == "hi"
    empty = syslog.parse_message(b"<14>1 - - - - - -", received_at=RECEIVED_AT)
    assert (empty.hostname, empty.app_name, empty.text, empty.structured_data) == (
        None,
        None,
        "",
        {},
    )
    nul = syslog.parse_message(b"<14>1 - h a - - - bad\x00byte \xff\n\x00", received_at=RECEIVED_AT)
    assert nul.text == "bad\ufffdbyte \ufffd"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The syslog message is empty."),
        (b"\r\n\x00", "The syslog message is empty."),
        (b"hello", f"{PRI} 'hello'."),
        (
            b"<192>x",
            f"{PRI} '<192>x'.",
        ),
        (
            b"<13>1 2026-11-28T04:43:00Z host",
            "The RFC 5424 header is incomplete: after the version come "
            "TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID and STRUCTURED-DATA, separated by "
            "single spaces.",
        ),
        (
            b"<13>1 yesterday h a - - -",
            "The RFC 5424 TIMESTAMP 'yesterday' is not an RFC 3339 date and "
            "time (e.g. 2026-03-02T09:00:00.000Z) or '-'.",
        ),
        (
            b"<13>1 2026-02-30T00:00:00Z h a - - -",
            "The RFC 5424 TIMESTAMP '2026-02-30T00:00:00Z' is not "
            "an RFC 3339 date and time (e.g. 2026-03-02T09:00:00.000Z) or '-'.",
        ),
        (
            b"<13>1 - h\xc3\xa9 a - - -",
            "The RFC 5424 HOSTNAME must be 1 to 255 printable ASCII characters "
            "without spaces, or '-'.",
        ),
        (
            b"<13>1 - h " + b"a" * 49 + b" - - -",
            "The RFC 5424 APP-NAME must be 1 to 48 printable ASCII "
            "characters without spaces, or '-'.",
        ),
        (
            b"<13>1 - h a - - text",
            "The RFC 5424 STRUCTURED-DATA must be '-' or elements like [id k=\"v\"].",
        ),
        (b'<13>1 - h a - - [x k="v"', "The RFC 5424 structured data lacks a ']' at byte 8."),
        (
            b'<13>1 - h a - - [x k="v',
            "The RFC 5424 structured data has a value without its closing quote.",
        ),
        (b"<13>1 - h a - - [x k=v]", "The RFC 5424 structured data has a bad parameter at byte 2."),
        (b"<13>1 - h a - - [=]", "The RFC 5424 structured data has an invalid SD-ID at byte 0."),
        (b"<13>1 - h a - - [x]y", "The RFC 5424 structured data ends at byte 3 without a space."),
        (b"<13>Feb 30 04:43:00 h a: b", "The RFC 3164 timestamp 'Feb 30 04:43:00' is not a date."),
    ],
)
def test_malformed_messages_are_refused(body: bytes, message: str) -> None:
    assert refused(body) == message


def test_a_message_over_64_kib_is_refused_with_413() -> None:
    assert refused(b"<13>" + b"x" * (64 * 1024), status=413).startswith(
        "The syslog message is 65540 bytes"
    )


# Framing (RFC 6587)

MESSAGES = [SAMPLES[n] for n in (1, 5, 6, 10)]


def octets(*messages: bytes) -> bytes:
    return b"".join(b"%d %s" % (len(m), m) for m in messages)


def lines(*messages: bytes) -> bytes:
    return b"".join(m + b"\n" for m in messages)


def test_octet_counting() -> None:
    assert syslog.frame(octets(*MESSAGES)) == (MESSAGES, b"")
    # the count covers bytes, not characters (sample 6 holds UTF-8), and a LF inside
    with_lf = b"<13>1 - h a - - - two\nlines"
    assert syslog.frame(octets(with_lf, SAMPLES[6])) == ([with_lf, SAMPLES[6]], b"")


def test_lf_framing_with_crlf_and_blank_lines() -> None:
    stream = b"\r\n".join(MESSAGES) + b"\r\n\n\n"
    assert syslog.frame(stream) == (MESSAGES, b"")


def test_both_methods_in_one_stream() -> None:
    stream = (
        octets(MESSAGES[0]) + lines(MESSAGES[1]) + octets(MESSAGES[2]) + b"\n" + lines(MESSAGES[3])
    )
    assert syslog.frame(stream) == (MESSAGES, b"")


@pytest.mark.parametrize("encode", [octets, lines])
def test_partial_buffers_are_kept_for_the_next_read(encode: Any) -> None:
    stream = encode(*MESSAGES)
    for cut in range(len(stream) + 1):
        first, rest = syslog.frame(stream[:cut])
        assert rest == stream[cut - len(rest) : cut]
        second, remainder = syslog.frame(rest + stream[cut:])
        assert first + second == MESSAGES
        assert remainder == b""


@settings(max_examples=200, deadline=None)
@given(
    messages=st.lists(st.sampled_from(list(SAMPLES.values())), max_size=6),
    methods=st.lists(st.booleans(), min_size=6, max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
)
def test_any_chunking_of_any_stream_gives_back_the_messages(
    messages: list[bytes], methods: list[bool], cuts: list[int]
) -> None:
    stream = b"".join(
        octets(m) if use_octets else lines(m)
        for m, use_octets in zip(messages, methods, strict=False)
    )
    received: list[bytes] = []
    buffer = b""
    previous = 0
    for cut in [*sorted(c for c in cuts if c <= len(stream)), len(stream)]:
        buffer += stream[previous:cut]
        previous = cut
        complete, buffer = syslog.frame(buffer)
        received.extend(complete)
    assert received == messages
    assert buffer == b""


@pytest.mark.parametrize(
    ("stream", "status", "message"),
    [
        (b"70000 <13>", 413, "The TCP stream announces a message over 64 KiB."),
        (b"123456", 413, "The TCP stream announces a message over 64 KiB."),
        (b"<13>" + b"x" * (64 * 1024 + 2), 413, "The TCP stream holds a line over 64 KiB."),
        (b"12a <13>", 400, "The TCP stream has an octet count not followed by a space."),
        (
            b"hello\n",
            400,
            "The TCP stream is neither octet-counted ('LEN <PRI>...') nor LF-framed "
            "('<PRI>...'); it continues with 'hello\\n'.",
        ),
    ],
)
def test_bad_streams_are_refused(stream: bytes, status: int, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        syslog.frame(stream)
    assert (caught.value.status, caught.value.message) == (status, message)


def test_an_unfinished_count_waits_for_more() -> None:
    assert syslog.frame(b"12") == ([], b"12")
    assert syslog.frame(b"\n\n65536") == ([], b"65536")
    assert syslog.frame(b"<13>no newline yet") == ([], b"<13>no newline yet")


def test_frame_hands_back_good_messages_before_a_fault() -> None:
    from tocsin.integrations.base import PayloadError as Refused
    from tocsin.integrations.syslog import frame

    good = b"<34>1 2026-11-28T10:00:00Z host app - - - one\n"
    messages, rest = frame(good + b"garbage that is no frame\n")
    assert messages == [good.rstrip(b"\n")]
    with pytest.raises(Refused):
        frame(rest)
