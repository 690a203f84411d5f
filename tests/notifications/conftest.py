"""Real receivers on 127.0.0.1 for the channels: an HTTP server that records what it is
sent and answers what a test tells it to."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.notifications.channels.base import Message
from tocsin.notifications.transport import ChannelConfig, Channels

LOCAL = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hold: bool = False  # keep the client waiting until the test ends (timeouts)


class Receiver:
    """A threading HTTP server; `replies` by path, 200 "ok" otherwise."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: dict[str, Reply] = {}
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Received(self.command, self.path, headers, body))
                reply = receiver.replies.get(self.path.split("?")[0], Reply())
                if reply.hold:
                    receiver.release.wait(10)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((LOCAL, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{LOCAL}:{self.port}{path}"

    def only(self) -> Received:
        assert len(self.received) == 1, self.received
        return self.received[0]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))


def free_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind((LOCAL, 0))
        return int(probe.getsockname()[1])


def make_channels(clock: FrozenClock, **config: Any) -> Channels:
    settings: dict[str, Any] = {"outbound_allow": LOCAL, "timeout_seconds": 2.0}
    settings.update(config)
    return Channels(ChannelConfig(**settings), clock=clock)


@pytest.fixture
def channels(clock: FrozenClock) -> Iterator[Channels]:
    made = make_channels(clock)
    yield made
    made.close()


def incident_message(delivery_id: str = "dlv_01HZX3") -> Message:
    return Message(
        delivery_id=delivery_id,
        topic="incident.created",
        subject="Database down",
        body="The primary stopped answering <queries> & replicas lag.",
        incident={
            "number": "INC0001234",
            "title": "Database down",
            "priority": 1,
            "state": "new",
            "service": "billing-db",
            "customer": "acme",
            "team": "dba",
            "assignee": None,
            "opened_at": "2026-03-02T14:29:00+00:00",
            "url": "https://tocsin.example/incidents/INC0001234",
        },
        links={
            "view": "https://tocsin.example/incidents/INC0001234",
            "acknowledge": "https://tocsin.example/act/ack-token",
            "resolve": "https://tocsin.example/act/resolve-token",
        },
        data={"action": "created", "object_id": "42"},
    )
