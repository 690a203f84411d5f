"""Receivers that fail the test on anything it did not expect: a real SMTP server
(aiosmtpd) and a real HTTP server, both on 127.0.0.1.

A test says what it expects with `take(...)`, which removes the matching message (and
fails when none arrived); `assert_quiet()` fails when anything else arrived."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

from aiosmtpd.controller import Controller


@dataclass
class Mail:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


T = TypeVar("T")
S = TypeVar("S", "MailSink", "HttpSink")


@dataclass
class _Box(Generic[T]):
    items: list[T] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: T) -> None:
        with self.lock:
            self.items.append(item)

    def take(self, what: str, match: Callable[[T], bool]) -> T:
        with self.lock:
            for n, item in enumerate(self.items):
                if match(item):
                    return self.items.pop(n)
            pending = list(self.items)
        raise AssertionError(f"expected {what}, but it did not arrive; pending: {pending!r}")

    def assert_quiet(self, who: str) -> None:
        with self.lock:
            pending = list(self.items)
        assert not pending, f"{who} received what the test did not expect: {pending!r}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    def __init__(self) -> None:
        self.box: _Box[Mail] = _Box()
        self._controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.box.add(Mail(to=list(envelope.rcpt_tos), message=message))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._controller.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def take(self, to: str, contains: str = "") -> Mail:
        return self.box.take(
            f"an e-mail to {to} with {contains!r} in its subject",
            lambda m: to in m.to and contains in m.subject,
        )

    def assert_quiet(self) -> None:
        self.box.assert_quiet("the SMTP server")


class HttpSink:
    """Answers 200 to every POST (or what `status` says for a path) and records it."""

    def __init__(self) -> None:
        self.box: _Box[Posted] = _Box()
        self.status: dict[str, int] = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                sink.box.add(Posted(self.path, dict(self.headers.items()), body))
                code = sink.status.get(self.path, 200)
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take(self, path: str, contains: str = "") -> Posted:
        return self.box.take(
            f"a POST to {path} containing {contains!r}",
            lambda p: p.path.startswith(path) and contains in p.body.decode(errors="replace"),
        )

    def assert_quiet(self) -> None:
        self.box.assert_quiet("the HTTP sink")


def running(sink: S) -> Iterator[S]:
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
