"""Request middleware: refuses oversized bodies and NUL in addresses, times, counts and logs
every request."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.web.metrics import Metrics

log = logging.getLogger("tocsin.http")


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestMiddleware:
    """Times every request, counts it, logs it, and refuses bodies over the limit."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}
        refused = refusal(scope, self.max_body)
        if refused is not None:
            await send_problem(send, *refused)
            observe(self.metrics, scope, refused[0], started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            await send_problem(send, *too_large(self.max_body))
            status_holder["status"] = 413
        observe(self.metrics, scope, int(status_holder["status"]), started)


# Routes whose path is itself a credential: the log names the route, not the path.
CREDENTIAL_ROUTES = frozenset({"/act/{token}"})


def observe(metrics: Metrics, scope: Scope, status: int, started: float) -> None:
    """Count and time an answered request, and log it (not health checks and scrapes)."""
    elapsed = time.perf_counter() - started
    route = _route_template(scope)
    method = scope.get("method", "")
    metrics.observe(method, route, status, elapsed)
    if route not in ("/healthz", "/metrics") and log.isEnabledFor(logging.INFO):
        log.info(
            "request",
            extra={
                "method": method,
                "path": route if route in CREDENTIAL_ROUTES else scope.get("path"),
                "status": status,
                "ms": round(elapsed * 1000, 2),
            },
        )


Problem = tuple[int, str, str]  # status, title, detail


def too_large(max_body: int) -> Problem:
    return 413, "Payload too large", f"The request body is larger than {max_body // 1024} KB."


def refusal(scope: Scope, max_body: int) -> Problem | None:
    """What a request is refused for before its body is read: a declared length over the
    limit, or a NUL in its address."""
    declared = _content_length(scope)
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        return too_large(max_body)
    if _has_nul(scope):
        return (
            400,
            "Bad request",
            "The address contains a NUL character (%00), which is never valid.",
        )
    return None


def _content_length(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return bytes(value)
    return None


class BodyTooLarge(Exception):
    """The body grew past the limit while it was read."""


def _has_nul(scope: Scope) -> bool:
    raw = (scope.get("raw_path") or b"") + b"?" + (scope.get("query_string") or b"")
    if b"\x00" in raw or "\x00" in scope.get("path", ""):
        return True
    return b"%" in raw and b"%00" in raw.lower()


async def send_problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
