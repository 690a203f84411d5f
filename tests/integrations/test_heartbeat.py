"""The heartbeat's registry entry and its pure parts: durations, the default grace, and the
alerts a missed and a resumed heartbeat raise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.integrations import heartbeat, registry
from tocsin.integrations.base import AlertAction, PayloadError, Severity

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_it_is_registered_without_routes_and_refuses_payloads() -> None:
    kind = registry.get("heartbeat")
    assert kind.routes == ()  # pinged at /api/v1/heartbeats/{key}, not an ingest route
    with pytest.raises(PayloadError, match="takes pings, not alerts"):
        kind.parse(b"{}", headers={}, received_at=AT, config={})


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("5m", 5), ("90", 90), ("2h", 120), ("1d", 1440), ("1w", 10080), (" 15 min ", 15)],
)
def test_durations(text: str, minutes: int) -> None:
    assert heartbeat.minutes_of(text) == minutes


@pytest.mark.parametrize("text", ["", "5s", "m", "1.5h", "-5m", "five minutes"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        heartbeat.minutes_of(text)


def test_the_default_grace() -> None:
    assert [heartbeat.default_grace_minutes(m) for m in (1, 9, 10, 11, 60, 1440)] == [
        1,
        1,
        1,
        2,
        6,
        144,
    ]


def test_a_missed_heartbeat_raises_one_critical_alert() -> None:
    never = heartbeat.missed(
        "backup",
        last_ping_at=None,
        created_at=AT,
        late_at=AT,
        interval_minutes=60,
        grace_minutes=6,
    )
    assert never.action is AlertAction.TRIGGER
    assert never.dedup_key == "heartbeat"
    assert never.severity is Severity.CRITICAL
    assert never.summary == "Heartbeat backup missed: never pinged"
    assert never.labels == {"heartbeat": "backup"}
    assert "every 1 hour, with 6 minutes of grace" in never.description
    late = heartbeat.missed(
        "backup",
        last_ping_at=AT,
        created_at=AT,
        late_at=AT,
        interval_minutes=1440,
        grace_minutes=144,
    )
    assert late.summary == "Heartbeat backup missed: no ping since 2026-03-02 09:00:00 UTC"
    assert "every 1 day" in late.description
    back = heartbeat.resumed("backup", at=AT)
    assert (back.action, back.dedup_key) == (AlertAction.RESOLVE, "heartbeat")
