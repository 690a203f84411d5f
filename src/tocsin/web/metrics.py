"""Prometheus metrics and the request middleware that feeds them (and the request log)."""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.bootstrap import Tocsin
from tocsin.incidents.lifecycle import OPEN_STATES
from tocsin.incidents.models import Incident

log = logging.getLogger("tocsin.http")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tocsin_http_requests_total",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tocsin_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.open_incidents = Gauge(
            "tocsin_incidents_open",
            "Incidents not yet resolved, by priority",
            ["priority"],
            registry=self.registry,
        )

    def refresh(self, app: Tocsin) -> None:
        """Gauges that come from the database are read at scrape time."""
        with app.db.read() as session:
            rows = session.execute(
                select(Incident.priority, func.count())
                .where(Incident.state.in_([s.value for s in OPEN_STATES]))
                .group_by(Incident.priority)
            ).all()
        counts = {int(p): int(n) for p, n in rows}
        for priority in range(1, 6):
            self.open_incidents.labels(priority=f"P{priority}").set(counts.get(priority, 0))


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
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(send, self.max_body)
            self._observe(scope, 413, started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            await _too_large(send, self.max_body)
            status_holder["status"] = 413
        self._observe(scope, int(status_holder["status"]), started)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(scope)
        method = scope.get("method", "")
        self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
        self.metrics.latency.labels(method=method, route=route).observe(elapsed)
        if route not in ("/healthz", "/metrics"):
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                },
            )


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (
        '{"type":"about:blank","title":"Payload too large","status":413,'
        f'"detail":"The request body is larger than {limit // 1024} KB."}}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
