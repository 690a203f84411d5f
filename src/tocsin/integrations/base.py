"""The contract every sender's parser fulfils: bytes in, NormalizedAlerts out (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AlertAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Severity(StrEnum):
    """PagerDuty's four levels; every sender's own scale is mapped onto them."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class NormalizedAlert:
    """One alert event as Tocsin understands it, whatever the sender."""

    action: AlertAction
    # The sender's own key (PagerDuty dedup_key, Opsgenie alias, Alertmanager / Grafana
    # fingerprint, Suricata community_id + signature id, generic dedup_key). None on a
    # trigger means "generate one" (PagerDuty semantics).
    dedup_key: str | None
    summary: str = ""
    severity: Severity = Severity.ERROR
    description: str = ""
    source: str | None = None  # host, instance, component that raised it
    service: str | None = None  # a hint: the `service` label, if the sender has one
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # annotations, custom details
    links: list[str] = field(default_factory=list)
    occurred_at: datetime | None = None  # when the sender says it started / ended
    group_key: str | None = None  # Alertmanager groupKey and the like
    incident_type: str = "incident"  # "security_incident" for IDS / SIEM events
    evidence: dict[str, Any] = field(default_factory=dict)  # e.g. Suricata flow facts
    # For mail: who sent it (e-mail) and the incident number a reply refers to.
    reporter: str | None = None
    reply_to: str | None = None
    # Opsgenie can close / acknowledge by its own alert id instead of the alias.
    alert_id: str | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a payload held: alerts to process, and how many items were ignored on purpose
    (e.g. Suricata flow / stats events), by kind."""

    alerts: list[NormalizedAlert]
    ignored: dict[str, int] = field(default_factory=dict)
    # The integration key, when the payload itself carries it (PagerDuty's routing_key).
    key: str | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class PayloadError(Exception):
    """The payload cannot be accepted. `message` is a sentence; `errors` name each field
    (PagerDuty answers them as `errors[]`). Nothing of the payload is stored."""

    def __init__(
        self, message: str, errors: list[FieldError] | None = None, *, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status


# parse(body, headers=..., received_at=..., config=...) -> Parsed
Parser = Callable[..., Parsed]
# check_config(config) -> the problems of a per-integration configuration ([] = valid)
ConfigChecker = Callable[[Mapping[str, Any]], list[FieldError]]


@dataclass(frozen=True, slots=True)
class IntegrationType:
    """A sender Tocsin speaks. Built-ins register exactly like a third-party one would."""

    name: str
    title: str
    parse: Parser
    # JSON-ready defaults for the per-integration configuration the parser reads.
    default_config: Mapping[str, Any] = field(default_factory=dict)
    # Validates a configuration before it is saved (the parser refuses a bad one with a
    # PayloadError of status 500 at ingest time). None: every configuration is accepted.
    check_config: ConfigChecker | None = None
