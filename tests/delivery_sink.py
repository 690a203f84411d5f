"""An HTTP receiver on 127.0.0.1 for delivery tests: records every request and answers
what the test scripted per path (200 otherwise)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Sink:
    def __init__(self, server: ThreadingHTTPServer, delay: float = 0.0) -> None:
        self.server = server
        self.delay = delay  # seconds each answer takes: a slow receiver
        self.received: list[Received] = []
        self.scripts: dict[str, list[int]] = {}
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def script(self, path: str, *statuses: int) -> None:
        """Answer the next requests to `path` with these statuses, then 200."""
        with self.lock:
            self.scripts[path] = list(statuses)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def answer(self, received: Received) -> int:
        with self.lock:
            self.received.append(received)
            queue = self.scripts.get(received.path)
            return queue.pop(0) if queue else 200


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:
            # the sender died mid-request (the kill tests do that): a real server never
            # sees a request it could not read, so neither does the sink
            self.close_connection = True
            return
        sink: Sink = self.server.sink  # type: ignore[attr-defined]
        if sink.delay:
            time.sleep(sink.delay)
        status = sink.answer(
            Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.send_response(status)
        if status in (429, 503):
            self.send_header("Retry-After", "30")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many senders at once: the default backlog of 5 refuses some


@contextmanager
def running_sink(delay: float = 0.0) -> Iterator[Sink]:
    server = _Server(("127.0.0.1", 0), _Handler)
    sink = Sink(server, delay)
    server.sink = sink  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
