"""An alert's states, and the incident states the alert path asks about: named once, for
the ORM, the driver-cursor statements and the schemas alike."""

from __future__ import annotations

from enum import StrEnum

from tocsin.incidents.lifecycle import OPEN_STATE_VALUES, OPEN_STATES_SQL


class AlertStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SUPPRESSED = "suppressed"


# A live alert is still happening: its key deduplicates repeats.
LIVE: tuple[str, ...] = (AlertStatus.TRIGGERED.value, AlertStatus.ACKNOWLEDGED.value)
ALL: tuple[str, ...] = tuple(s.value for s in AlertStatus)
# Incidents an alert may join or repeat into.
OPEN_INCIDENT = OPEN_STATE_VALUES


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """`column IN ('a', 'b')` for these constants (never for user input)."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


# The live-key unique index's condition (uq_alerts_live_key).
LIVE_ALERT_SQL = sql_in("status", LIVE)
OPEN_INCIDENT_SQL = OPEN_STATES_SQL
