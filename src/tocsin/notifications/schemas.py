"""What the API accepts and answers for contact methods, notification rules and settings,
and shared channels."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Name, Slug, TimeZoneName
from tocsin.notifications.quiet_hours import parse_hhmm
from tocsin.notifications.topics import TOPICS, known_subscription


class ContactType(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    SLACK = "slack"
    TEAMS = "teams"
    NTFY = "ntfy"


class ChannelType(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"
    EMAIL = "email"
    NTFY = "ntfy"


def _hhmm(value: str) -> str:
    parse_hhmm(value)
    return value


Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
HHMM = Annotated[str, AfterValidator(_hhmm)]


def _topic(value: str) -> str:
    if not known_subscription(value):
        raise ValueError(
            f"{value!r} is not a notification topic; use one of {', '.join(sorted(TOPICS))}, "
            'a family such as "incident.*", or "*" for everything'
        )
    return value


Topic = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[a-z0-9_.*]+$"
    ),
    AfterValidator(_topic),
]


class ContactMethodIn(StrictModel):
    type: ContactType
    address: Address
    label: Label = ""
    secret: Secret | None = None


class ContactMethodPatch(StrictModel):
    address: Address | None = None
    label: Label | None = None
    secret: Secret | None = None
    enabled: bool | None = Field(
        default=None, description="true re-enables a method Tocsin disabled"
    )


class ContactMethodOut(BaseModel):
    id: int
    user: str
    type: ContactType
    address: str
    label: str
    has_secret: bool
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime


class RuleIn(StrictModel):
    contact_method: int = Field(ge=1, le=2**31 - 1)
    delay_minutes: int = Field(ge=0, le=7 * 24 * 60)


class RuleOut(BaseModel):
    id: int
    contact_method: int
    delay_minutes: int
    created_at: datetime


class SettingsIn(StrictModel):
    time_zone: TimeZoneName = "UTC"
    quiet_start: HHMM | None = None
    quiet_end: HHMM | None = None
    quiet_min_priority: int = Field(default=4, ge=1, le=5)


class SettingsOut(BaseModel):
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None
    quiet_min_priority: int


DEFAULT_EVENTS = [
    "incident.created",
    "incident.acknowledged",
    "incident.resolved",
    "incident.escalated",
]


class ChannelIn(StrictModel):
    name: Name
    slug: Slug
    type: ChannelType
    address: Address
    secret: Secret | None = None
    team: Slug | None = None
    service: Slug | None = None
    events: list[Topic] = Field(default_factory=lambda: list(DEFAULT_EVENTS), max_length=50)
    customer: Slug | None = None


class ChannelPatch(StrictModel):
    name: Name | None = None
    address: Address | None = None
    secret: Secret | None = None
    team: Slug | None = None
    service: Slug | None = None
    events: list[Topic] | None = Field(default=None, max_length=50)
    enabled: bool | None = None


class ChannelOut(BaseModel):
    id: int
    slug: str
    name: str
    type: ChannelType
    address: str
    has_secret: bool
    customer: str
    team: str | None
    service: str | None
    events: list[str]
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
