"""The syslog and SMTP receivers keep what carried each alert: the line, the raw message."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import make_user
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.bootstrap import Tocsin
from tocsin.receivers import Receivers

from .conftest import create_integration, wait_for
from .test_smtp_server import DOMAIN, mail, send

SAMPLES = Path(__file__).parents[1] / "integrations/samples/syslog"  # logger's datagrams


def payloads(app: Tocsin, admin: Principal, integration: str) -> list[str | None]:
    page = app.alerts.list(admin, integration=integration, limit=50)
    return [app.alerts.get(admin, a.id).payload for a in page.items]


def test_a_syslog_alert_keeps_its_line(app: Tocsin, admin: Principal, receivers: Receivers) -> None:
    create_integration(app, admin, "syslog", "hosts", {"max_severity": "err"})
    assert receivers.syslog is not None
    assert receivers.syslog.port
    line = b"<11>1 2026-03-02T09:00:00Z db postgres 77 - - checkpoint took 42 s \xff"
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(line, ("127.0.0.1", receivers.syslog.port))
    finally:
        sender.close()
    found = wait_for(lambda: payloads(app, admin, "hosts"), what="the alert")
    assert found == [line.decode("utf-8", "replace")]


def test_a_real_syslog_datagram_is_kept_byte_for_byte(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    create_integration(app, admin, "syslog", "hosts", {"max_severity": "debug"})
    assert receivers.syslog is not None
    assert receivers.syslog.port
    data = (SAMPLES / "0001.raw").read_bytes()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(data, ("127.0.0.1", receivers.syslog.port))
    finally:
        sender.close()
    found = wait_for(lambda: payloads(app, admin, "hosts"), what="the alert")
    assert found == [data.decode("utf-8", "replace")]


def test_a_mail_alert_keeps_the_raw_message(
    app: Tocsin, admin: Principal, receivers: Receivers
) -> None:
    key = create_integration(app, admin, "email", "helpdesk").key
    make_user(app, admin, "alice@example.com", Role.REQUESTER)
    data = mail("Printer on fire", body="Third floor.")
    send(receivers, [f"{key}@{DOMAIN}"], data)
    (payload,) = payloads(app, admin, "helpdesk")
    assert payload is not None
    # as the SMTP server received it: CRLF line ends, and the line end before the
    # terminating dot that SMTP adds
    received = payload.replace("\r\n", "\n")
    assert received.rstrip("\n") == data.decode().replace("\r\n", "\n").rstrip("\n")
    assert "Subject: Printer on fire" in payload
