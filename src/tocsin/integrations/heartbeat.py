"""Heartbeats: the sender whose alerts Tocsin raises itself. A cron job or scheduler pings
`/api/v1/heartbeats/<key>` every interval; when a ping is later than the interval plus its
grace, Tocsin triggers the alert `missed` builds, and the next ping resolves it (`resumed`).
A heartbeat takes pings, not alert payloads, so its registry entry declares no routes and
its parser refuses every payload with the address pings go to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tocsin.integrations.base import (
    AlertAction,
    IntegrationType,
    NormalizedAlert,
    Parsed,
    PayloadError,
    Severity,
)

NAME = "heartbeat"
# The one alert a heartbeat integration raises: a heartbeat is either late or not.
DEDUP_KEY = "heartbeat"
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 7 * 24 * 60
MAX_GRACE_MINUTES = 7 * 24 * 60
_UNITS = {"m": 1, "min": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}
_DURATION = re.compile(r"\s*(\d{1,6})\s*(m|min|h|d|w)?\s*", re.IGNORECASE)


def default_grace_minutes(interval_minutes: int) -> int:
    """A tenth of the interval, rounded up, and at least a minute: a job that runs a little
    late (a busy host, a slow start) is not yet an outage."""
    return max(1, -(-interval_minutes // 10))


def minutes_of(text: str) -> int:
    """A duration as people write it for a schedule: `5m`, `90` (minutes), `2h`, `1d`, `1w`."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration; write a whole number of minutes, hours, days or "
            "weeks, e.g. 5m, 2h, 1d"
        )
    return int(match[1]) * _UNITS[(match[2] or "m").lower()]


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(minutes: int) -> str:
    for unit, size in (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60)):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def missed(
    name: str,
    *,
    last_ping_at: datetime | None,
    created_at: datetime,
    late_at: datetime,
    interval_minutes: int,
    grace_minutes: int,
) -> NormalizedAlert:
    """The alert of a heartbeat whose ping did not come by `late_at` (interval and grace)."""
    if last_ping_at is None:
        summary = f"Heartbeat {name} missed: never pinged"
        last = f"It has not been pinged since it was created at {_moment(created_at)}."
    else:
        summary = f"Heartbeat {name} missed: no ping since {_moment(last_ping_at)}"
        last = f"The last ping came at {_moment(last_ping_at)}."
    return NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=DEDUP_KEY,
        summary=summary,
        severity=Severity.CRITICAL,
        description=(
            f"Tocsin expects a ping every {_span(interval_minutes)}, with "
            f"{_span(grace_minutes)} of grace. {last} This incident resolves itself at the "
            "next ping."
        ),
        source=name,
        labels={"heartbeat": name},
        details={
            "interval_minutes": interval_minutes,
            "grace_minutes": grace_minutes,
            "last_ping_at": last_ping_at.isoformat() if last_ping_at else None,
            "late_at": late_at.isoformat(),
        },
        occurred_at=late_at,
    )


def resumed(name: str, *, at: datetime) -> NormalizedAlert:
    """The alert that resolves a missed heartbeat: a ping came again."""
    return NormalizedAlert(
        action=AlertAction.RESOLVE,
        dedup_key=DEDUP_KEY,
        summary=f"Heartbeat {name} pinged again at {_moment(at)}",
        labels={"heartbeat": name},
        occurred_at=at,
    )


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    raise PayloadError(
        "A heartbeat integration takes pings, not alerts: POST or GET "
        "/api/v1/heartbeats/<key> every interval."
    )


TYPE = IntegrationType(
    name=NAME,
    title="Heartbeat (a ping expected at a set interval)",
    parse=parse,
)
