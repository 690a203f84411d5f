"""What the API accepts and answers for integrations, alerts and maintenance windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from tocsin.alerts.states import AlertStatus
from tocsin.core.bounded import storable_data
from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Moment, Name, Slug
from tocsin.integrations.base import Severity


class Levels(StrictModel):
    impact: int = Field(ge=1, le=3)
    urgency: int = Field(ge=1, le=3)


def _default_severity_map() -> dict[Severity, Levels]:
    return {
        Severity.CRITICAL: Levels(impact=1, urgency=1),  # P1
        Severity.ERROR: Levels(impact=2, urgency=1),  # P2
        Severity.WARNING: Levels(impact=2, urgency=2),  # P3
        Severity.INFO: Levels(impact=3, urgency=3),  # P5
    }


GROUP_KEYS = ("service", "source", "group_key", "summary")


class IntegrationConfig(StrictModel):
    """How one integration turns alerts into incidents."""

    severity_map: dict[Severity, Levels] = Field(default_factory=_default_severity_map)
    group_by: list[str] = Field(
        default_factory=list,
        description="Alerts sharing these values join one open incident within group_window: "
        "service, source, group_key, summary, or label:<name>. Empty: one incident per alert.",
    )
    group_window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    auto_resolve: bool = Field(
        default=True, description="Resolve the incident when the sender resolved all its alerts"
    )
    flap_window_minutes: int = Field(
        default=30,
        ge=0,
        le=24 * 60,
        description="An alert firing again this soon after resolving reopens its incident",
    )
    parser: dict[str, Any] = Field(
        default_factory=dict, description="Sender-specific settings (e.g. the syslog rule)"
    )
    # A heartbeat integration's schedule (the other types refuse these two).
    interval_minutes: int | None = Field(
        default=None,
        ge=1,
        le=7 * 24 * 60,
        description="heartbeat only: a ping is expected this often (1 minute to 7 days)",
    )
    grace_minutes: int | None = Field(
        default=None,
        ge=1,
        le=7 * 24 * 60,
        description="heartbeat only: how late a ping may be before the heartbeat is down "
        "(default: a tenth of the interval, at least 1 minute)",
    )

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> IntegrationConfig:
        """A configuration read back from the database. It is validated as it was when
        saved, except that text no database should have held (stored before the checks
        existed, or by hand) is shown with U+FFFD: one such value must not make every
        later list or read of the customer's integrations fail."""
        return cls.model_validate(storable_data(data))

    @field_validator("group_by")
    @classmethod
    def _known_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            if key not in GROUP_KEYS and not (key.startswith("label:") and len(key) > 6):
                raise ValueError(
                    f"group_by key {key!r} is unknown; use {', '.join(GROUP_KEYS)} or label:<name>"
                )
        return value


class IntegrationIn(StrictModel):
    type: str = Field(max_length=32)
    name: Name
    customer: Slug | None = None
    service: Slug | None = None
    team: Slug | None = None
    config: IntegrationConfig | None = None


class IntegrationPatch(StrictModel):
    name: Name | None = None
    service: Slug | None = None
    team: Slug | None = None
    enabled: bool | None = None
    config: IntegrationConfig | None = None


class HeartbeatStatus(BaseModel):
    """Where a heartbeat integration stands: waiting (never pinged), up, or down (a ping
    is overdue; its incident is open until the next ping)."""

    state: Literal["waiting", "up", "down"]
    last_ping_at: datetime | None
    next_due_at: datetime = Field(description="when the next ping is expected")
    late_at: datetime = Field(description="when the heartbeat goes down without a ping")
    down_since: datetime | None


class IntegrationOut(BaseModel):
    id: int
    type: str
    name: str
    key_prefix: str
    customer: str
    service: str | None
    team: str | None
    enabled: bool
    config: IntegrationConfig
    created_at: datetime
    ping_url: str | None = Field(
        default=None, description="heartbeat only: where the pings go ({base_url}/api/v1/...)"
    )
    heartbeat: HeartbeatStatus | None = None


class IntegrationCreated(IntegrationOut):
    key: str = Field(description="Shown once: the routing key / token the sender uses.")


class AlertIncident(BaseModel):
    id: int
    number: str


class AlertOut(BaseModel):
    id: int
    integration: str
    dedup_key: str
    status: AlertStatus
    summary: str
    severity: str
    source: str | None
    labels: dict[str, Any]
    details: dict[str, Any]
    count: int
    flap_count: int
    incident: AlertIncident | None
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None


class AlertDetail(AlertOut):
    """One alert with what its own page shows beside the list's columns."""

    integration_id: int
    integration_type: str
    customer: str
    group_value: str | None
    # What the sender sent last about it, as received (capped at 64 KiB); None: nothing
    # was kept (a heartbeat, or an alert stored before payloads were kept).
    payload: str | None = None


class IntegrationActivity(BaseModel):
    alerts: int
    last_alert_at: datetime | None


class MaintenanceWindowIn(StrictModel):
    customer: Slug | None = None
    service: Slug | None = None
    start: Moment
    end: Moment
    recurrence: Literal["none", "daily", "weekly"] = "none"
    until: Moment | None = None
    reason: str = Field(default="", max_length=2000)


class MaintenanceWindowOut(BaseModel):
    id: int
    customer: str
    service: str | None
    start: datetime
    end: datetime
    recurrence: str
    until: datetime | None
    reason: str
    created_at: datetime
