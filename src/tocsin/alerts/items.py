"""What the alert path takes in (an alert from an integration) and answers for each."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.alerts.keys import IntegrationRef
from tocsin.integrations.base import NormalizedAlert


@dataclass(frozen=True, slots=True)
class Item:
    integration: IntegrationRef
    alert: NormalizedAlert
    # What the sender sent that carried the alert (`alerts.payloads.payload_text`); the
    # alerts of one request share one string. None: nothing was sent (a heartbeat).
    payload: str | None = None
    # The sender's request id, when its protocol lets it ask later what became of the
    # request (Opsgenie): recorded with the outcome (`alerts.requests`).
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one alert: created, deduplicated, grouped, reopened, suppressed,
    resolved, acknowledged, commented (a mail reply), or unknown (a resolve / acknowledge
    for no live alert)."""

    result: str
    dedup_key: str | None
    incident_id: int | None = None
    incident_number: str | None = None
    alert_id: int | None = None
