"""The syslog receiver over real UDP and TCP sockets, with the sample datagrams."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tocsin.alerts.items import Item, Outcome
from tocsin.auth.principal import Principal
from tocsin.bootstrap import Tocsin
from tocsin.integrations import syslog
from tocsin.receivers import Receivers

from .conftest import create_integration, wait_for

SAMPLES = sorted((Path(__file__).parents[1] / "integrations/samples/syslog").glob("*.raw"))
RULE = {"max_severity": "err"}
# A message of severity err (<11> = user.err) that no sample repeats.
EXTRA = b"<11>1 2026-03-02T09:00:00Z db postgres 77 - - checkpoint took 42 s"


def expected_keys(messages: list[bytes]) -> set[str]:
    """The dedup keys of the alerts the parser raises for `messages` under RULE."""
    keys: set[str] = set()
    for data in messages:
        for alert in syslog.parse(
            data, headers={}, received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), config=RULE
        ).alerts:
            assert alert.dedup_key is not None
            keys.add(alert.dedup_key)
    return keys


def stored_keys(app: Tocsin, admin: Principal, integration: str) -> set[str]:
    page = app.alerts.list(admin, integration=integration, limit=200)
    return {alert.dedup_key for alert in page.items}


@pytest.fixture
def samples() -> list[bytes]:
    assert len(SAMPLES) == 10
    return [path.read_bytes() for path in SAMPLES]


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    yield sender
    sender.close()


def send_udp(sender: socket.socket, port: int, *messages: bytes) -> None:
    for data in messages:
        sender.sendto(data, ("127.0.0.1", port))


def tcp_connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def send_in_pieces(conn: socket.socket, stream: bytes, size: int) -> None:
    """Write `stream` in `size`-byte writes, pausing between them so that the receiver
    reads messages (and octet counts) cut in the middle."""
    for start in range(0, len(stream), size):
        conn.sendall(stream[start : start + size])
        time.sleep(0.005)


def closed_by_server(conn: socket.socket) -> bool:
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def test_udp_samples_raise_alerts_for_the_matching_messages_only(
    app: Tocsin, admin: Principal, receivers: Receivers, udp: socket.socket, samples: list[bytes]
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    send_udp(udp, receivers.syslog.port, *samples)

    expected = expected_keys(samples)
    assert len(expected) == 4  # crit, err, emerg, alert among the ten samples
    wait_for(lambda: receivers.syslog and receivers.syslog.stats["messages"] == 10)
    wait_for(lambda: stored_keys(app, admin, "hosts") == expected, what="four alerts")
    assert receivers.syslog.stats["ignored"] == 6
    page = app.alerts.list(admin, integration="hosts", limit=200)
    assert all(alert.incident is not None for alert in page.items)


@pytest.mark.parametrize("framing", ["octet-counting", "lf", "mixed"])
@pytest.mark.parametrize("piece", [7, 61])
def test_tcp_stream_cut_anywhere(
    app: Tocsin,
    admin: Principal,
    receivers: Receivers,
    samples: list[bytes],
    framing: str,
    piece: int,
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    frames = []
    for n, data in enumerate(samples):
        octets = framing == "octet-counting" or (framing == "mixed" and n % 2 == 0)
        frames.append(b"%d %s" % (len(data), data) if octets else data + b"\n")
    with tcp_connect(receivers.syslog.port) as conn:
        send_in_pieces(conn, b"".join(frames), piece)
        wait_for(lambda: stored_keys(app, admin, "hosts") == expected_keys(samples))
        assert receivers.syslog.stats["messages"] == 10
        assert receivers.syslog.stats["refused"] == 0


def test_tcp_last_line_without_newline_counts_at_eof(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    with tcp_connect(receivers.syslog.port) as conn:
        conn.sendall(EXTRA)
    wait_for(lambda: stored_keys(app, admin, "hosts") == expected_keys([EXTRA]))


def test_tcp_framing_error_closes_only_that_connection(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    with tcp_connect(receivers.syslog.port) as bad:
        bad.sendall(b"this is not syslog\n")
        assert closed_by_server(bad)
    assert receivers.syslog.stats["framing_errors"] == 1
    with tcp_connect(receivers.syslog.port) as good:
        good.sendall(EXTRA + b"\n")
    wait_for(lambda: stored_keys(app, admin, "hosts") == expected_keys([EXTRA]))


def test_garbage_datagrams_do_not_stop_the_server(
    app: Tocsin, admin: Principal, receivers: Receivers, udp: socket.socket
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    garbage = [b"\x00\xff\xfe garbage", b"<999>nope", b"<11>1 not-a-date h a - - - x", b"\n"]
    send_udp(udp, receivers.syslog.port, *garbage)
    wait_for(lambda: receivers.syslog and receivers.syslog.stats["refused"] == len(garbage))
    send_udp(udp, receivers.syslog.port, EXTRA)
    wait_for(lambda: stored_keys(app, admin, "hosts") == expected_keys([EXTRA]))


def test_disallowed_sender_is_dropped_counted_and_logged_once(
    app: Tocsin,
    admin: Principal,
    receivers: Receivers,
    udp: socket.socket,
    samples: list[bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    port = receivers.syslog.port
    caplog.set_level(logging.WARNING, logger="tocsin.receivers")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.2", 0))
        send_udp(stranger, port, *samples)
    with tcp_connect(port, source="127.0.0.2") as conn:
        assert closed_by_server(conn)
    wait_for(lambda: receivers.syslog and receivers.syslog.stats["denied"] == 11)
    # The allowed sender is heard: once its alert is there, the stranger's would be too.
    send_udp(udp, port, EXTRA)
    wait_for(lambda: stored_keys(app, admin, "hosts") == expected_keys([EXTRA]))
    warnings = [r for r in caplog.records if "TOCSIN_SYSLOG_ALLOW" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].__dict__["peer"] == "127.0.0.2"


def test_routing_by_sources_then_catch_all(
    app: Tocsin, admin: Principal, receivers: Receivers, udp: socket.socket
) -> None:
    create_integration(app, admin, "syslog", "far", {**RULE, "sources": ["10.0.0.0/8"]})
    create_integration(app, admin, "syslog", "catch-all", RULE)
    create_integration(app, admin, "syslog", "local", {**RULE, "sources": ["127.0.0.0/8"]})
    assert receivers.syslog is not None
    assert receivers.syslog.port
    send_udp(udp, receivers.syslog.port, EXTRA)
    wait_for(lambda: stored_keys(app, admin, "local") == expected_keys([EXTRA]))
    assert stored_keys(app, admin, "far") == set()
    assert stored_keys(app, admin, "catch-all") == set()


def test_no_syslog_integration_drops_and_counts(
    app: Tocsin, admin: Principal, receivers: Receivers, udp: socket.socket
) -> None:
    create_integration(app, admin, "syslog", "far", {**RULE, "sources": ["10.0.0.0/8"]})
    assert receivers.syslog is not None
    assert receivers.syslog.port
    send_udp(udp, receivers.syslog.port, EXTRA, EXTRA)
    wait_for(lambda: receivers.syslog and receivers.syslog.stats["unrouted"] == 2)
    assert app.alerts.list(admin).total == 0


def test_tcp_reads_on_only_after_the_previous_batch_is_stored(
    app: Tocsin,
    admin: Principal,
    receivers: Receivers,
    udp: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_integration(app, admin, "syslog", "hosts", RULE)
    assert receivers.syslog is not None
    assert receivers.syslog.port
    pending: list[tuple[list[Item], Future[list[Outcome]]]] = []

    def held(items: list[Item]) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        pending.append((items, future))
        return future

    monkeypatch.setattr(app.alerts, "submit", held)
    first = b"<11>web nginx: first"
    second = b"<11>web nginx: second"
    with tcp_connect(receivers.syslog.port) as conn:
        conn.sendall(first + b"\n")
        wait_for(lambda: len(pending) == 1, what="the first batch")
        conn.sendall(second + b"\n")
        # A datagram sent after the second line is handled while the stream waits.
        send_udp(udp, receivers.syslog.port, EXTRA)
        wait_for(lambda: len(pending) == 2, what="the datagram")
        assert [items[0].alert.summary for items, _ in pending] == [
            "web nginx: first",
            "db postgres: checkpoint took 42 s",
        ]
        pending[0][1].set_result([])  # the first batch is committed: reading resumes
        wait_for(lambda: len(pending) == 3, what="the second line")
        assert pending[2][0][0].alert.summary == "web nginx: second"
    for _, future in pending[1:]:
        future.set_result([])
