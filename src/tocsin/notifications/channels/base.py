"""What every notification channel agrees on: where a message goes (`Target`), what it
says (`Message`), and how a delivery attempt ended (`Outcome`).

A channel only transports: it never touches the database. The delivery sender
(notifications/deliveries) decides from the outcome whether to mark the delivery done,
try again later, give up, or disable the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ChannelKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    SLACK = "slack"
    TEAMS = "teams"
    NTFY = "ntfy"


@dataclass(frozen=True, slots=True)
class Target:
    """Where to: an e-mail address, a phone number in E.164 form (+4915112345678), or
    a URL (webhook, Slack / Teams incoming webhook, ntfy topic)."""

    kind: ChannelKind
    address: str
    # Webhooks: the signing secret `whsec_<base64>`; ntfy: an access token. Never logged.
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Message:
    """One notification, whatever the channel renders it into.

    `delivery_id` is stable across retries of the same delivery, so a receiver can drop
    duplicates (webhook-id, the e-mail's Message-ID, the Slack / Teams / ntfy text's
    footer). `topic` says what happened: an incident event (`incident.created`,
    `incident.escalated`, `incident.sla_warning`, ...), or `admin.target_disabled`.
    `incident` holds what a person needs to act: number, title, priority (1-5), state,
    service, customer, team, assignee, opened_at (ISO 8601), url. `links` are absolute
    URLs by name: `view`, and where the recipient may act, `acknowledge` and `resolve`.
    `data` is the event as JSON for machine receivers (webhook bodies)."""

    delivery_id: str
    topic: str
    subject: str
    body: str = ""
    incident: dict[str, Any] | None = None
    links: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivered:
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again: 5xx, 429, a timeout, a refused or broken connection, a 4xx/5xx reply
    from the mail server that is temporary. `after_seconds` when the receiver said when
    (Retry-After), else the sender's backoff decides."""

    reason: str
    after_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """Do not try again: the receiver refused this message (a 4xx other than 410 / 429,
    a permanent SMTP refusal, a target the outbound check refuses)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Gone:
    """The target no longer exists (HTTP 410): disable it and tell an administrator."""

    reason: str


Outcome = Delivered | Retry | Failed | Gone


class Channel(Protocol):
    def send(self, target: Target, message: Message) -> Outcome:
        """Deliver one message; never raises for a receiver's failure (that is an
        Outcome), only for a bug."""
        ...
