"""Starting and stopping the receivers from Settings, and inside `tocsin serve`."""

from __future__ import annotations

import json
import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.receivers import Receivers, start_receivers


def free_port() -> int:
    """A port number free for TCP and UDP on 127.0.0.1 (the syslog receiver needs both)."""
    for _ in range(50):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port")


def receiver_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tocsin-receivers"]


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_nothing_starts_without_ports(app: Tocsin) -> None:
    handle = start_receivers(app, app.settings)
    assert not handle.running
    assert handle.syslog is None
    assert handle.smtp is None
    handle.stop()  # harmless


def test_configured_ports_listen_log_and_stop(
    app: Tocsin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tocsin.receivers")
    syslog_port, smtp_port = free_port(), free_port()
    settings = app.settings.model_copy(
        update={"syslog_port": syslog_port, "inbound_smtp_port": smtp_port}
    )
    handle = start_receivers(app, settings)
    try:
        lines = {r.getMessage(): r.__dict__.get("port") for r in caplog.records}
        assert lines["syslog receiver listening"] == syslog_port
        assert lines["smtp receiver listening"] == smtp_port
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
            assert client.noop()[0] == 250
        socket.create_connection(("127.0.0.1", syslog_port), timeout=2).close()
    finally:
        handle.stop()
    assert refuses(syslog_port)
    assert refuses(smtp_port)
    assert receiver_threads() == []


def test_a_port_in_use_fails_the_start_and_leaves_nothing_running(app: Tocsin) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with pytest.raises(OSError):
            Receivers(app).start(smtp=("127.0.0.1", port))
    assert receiver_threads() == []


def test_a_bad_allow_list_is_refused(app: Tocsin) -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300' is neither"):
        Receivers(app).start(syslog=("127.0.0.1", 0), allow="127.0.0.1,10.0.0.300")
    assert receiver_threads() == []


def _wait_for_lines(stream: list[str], wanted: set[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not wanted <= {json.loads(line).get("msg") for line in stream if line.startswith("{")}:
        if time.monotonic() > deadline:
            raise AssertionError(f"serve did not log {wanted}: {''.join(stream)}")
        time.sleep(0.05)


def test_serve_runs_the_receivers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    syslog_port, smtp_port, web_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "TOCSIN_SECRET_KEY": "serve-test",
        "TOCSIN_LOG_FORMAT": "json",
        "TOCSIN_ENGINE_ENABLED": "false",
        "TOCSIN_SYSLOG_PORT": str(syslog_port),
        "TOCSIN_INBOUND_SMTP_PORT": str(smtp_port),
    }
    env.pop("TOCSIN_CONFIG", None)
    tocsin = Path(sys.executable).parent / "tocsin"
    process = subprocess.Popen(
        [str(tocsin), "serve", "--port", str(web_port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def collect() -> None:
        for line in process.stderr or []:
            lines.append(line)

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        _wait_for_lines(lines, {"syslog receiver listening", "smtp receiver listening"})
        _wait_for_lines(lines, {"Application startup complete."})
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
    assert refuses(syslog_port)
    assert refuses(smtp_port)
    assert refuses(web_port)
