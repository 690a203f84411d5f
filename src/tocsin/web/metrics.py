"""Prometheus metrics: operational figures anyone who reaches /metrics may read (requests,
latency, ingest, the process), and business figures read from the database that only a
scraper holding the metrics token gets (they describe the customers' incidents)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from sqlalchemy import func, select

from tocsin.bootstrap import Tocsin
from tocsin.incidents.lifecycle import OPEN_STATES
from tocsin.incidents.models import Incident

_KEEP = 2_000  # label combinations kept at most (methods are whatever clients send)


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
        self.ingest_batches = Gauge(
            "tocsin_ingest_committed_batches",
            "Transactions ingest committed (group commit: many alerts each)",
            registry=self.registry,
        )
        self.ingest_alerts = Gauge(
            "tocsin_ingest_committed_alerts",
            "Alerts ingest committed",
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        self.business = CollectorRegistry()
        self.open_incidents = Gauge(
            "tocsin_incidents_open",
            "Incidents not yet resolved, by priority",
            ["priority"],
            registry=self.business,
        )

        # The labelled children, kept: looking them up through `labels()` on every request
        # takes a lock and builds the label tuple each time.
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        counted = self._counted.get((method, route, status))
        if counted is None:
            counted = self.requests.labels(method=method, route=route, status=str(status))
            if len(self._counted) < _KEEP:
                self._counted[(method, route, status)] = counted
        timed = self._timed.get((method, route))
        if timed is None:
            timed = self.latency.labels(method=method, route=route)
            if len(self._timed) < _KEEP:
                self._timed[(method, route)] = timed
        counted.inc()
        timed.observe(seconds)

    def refresh(self, app: Tocsin) -> None:
        """The writer's counters are read at scrape time."""
        self.ingest_batches.set(app.alerts.batches)
        self.ingest_alerts.set(app.alerts.alerts_written)

    def refresh_business(self, app: Tocsin) -> None:
        """Gauges that come from the database, read at scrape time."""
        with app.db.read() as session:
            rows = session.execute(
                select(Incident.priority, func.count())
                .where(Incident.state.in_([s.value for s in OPEN_STATES]))
                .group_by(Incident.priority)
            ).all()
        counts = {int(p): int(n) for p, n in rows}
        for priority in range(1, 6):
            self.open_incidents.labels(priority=f"P{priority}").set(counts.get(priority, 0))
